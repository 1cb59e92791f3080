from __future__ import annotations


def test_sign_in_and_see_room(client, auth, world):
    r = auth.login("provider_editor")
    assert r.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Cardiff Council" in home.data
    room = client.get("/rooms/cardiff")
    assert room.status_code == 200
    assert b"Improvement conference" in room.data
    assert b"Link Inspectors area" not in room.data
