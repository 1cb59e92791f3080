"""schemathesis against VIR's own OpenAPI document: every operation, a few generated
requests each (bounded and derandomised, so it fits in CI and fails the same way twice), as
a co-ordinator who may call most of them. No answer may be a server error.

Driven from Python rather than through schemathesis's pytest plugin, which reaches into a
private attribute that pytest 9 no longer has."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 10


def test_no_operation_answers_a_server_error(app: Any, auth: Any, world: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = auth.token("coordinator")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            if case.path == "/api/v1/tokens/current" and case.method == "DELETE":
                return  # would end the session this test runs on
            response = case.call(headers={**headers, **(case.headers or {})})
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        run()
    assert operations > 50
    assert not failures, "\n".join(sorted(set(failures)))
