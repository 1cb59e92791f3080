"""Sending mail through SMTP, each message at most once."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vir.core.db import db
from vir.core.metrics import MAIL
from vir.notifications.models import SentMail

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    pass


def configured() -> bool:
    return bool(current_app.config.get("VIR_SMTP_HOST"))


def _deliver(message: EmailMessage) -> None:
    cfg = current_app.config
    host, port = cfg["VIR_SMTP_HOST"], cfg["VIR_SMTP_PORT"]
    try:
        if cfg.get("VIR_SMTP_SSL"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=30, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=30)
        with smtp:
            if cfg.get("VIR_SMTP_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("VIR_SMTP_USERNAME"):
                smtp.login(cfg["VIR_SMTP_USERNAME"], cfg.get("VIR_SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail through {host}:{port}: {exc}") from exc


def send_once(key: str, to: str, name: str, subject: str, body: str) -> bool:
    """Send unless a message with this key was sent before. The key is claimed in the same
    transaction as the send, so a failed send is retried on the next run and two workers
    never both send it."""
    if db.session.scalar(select(SentMail.id).where(SentMail.key == key)) is not None:
        return False
    if not configured():
        log.info("mail not configured; not sending %s to %s", key, to)
        return False
    db.session.add(SentMail(key=key, recipient=to, subject=subject[:300]))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    message = EmailMessage()
    message["From"] = current_app.config["VIR_MAIL_FROM"]
    message["To"] = formataddr((name, to))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="vir.invalid")
    message.set_content(body)
    try:
        _deliver(message)
    except MailError:
        db.session.rollback()
        MAIL.labels("failed").inc()
        log.exception("mail %s to %s failed; it will be tried again", key, to)
        return False
    db.session.commit()
    MAIL.labels("sent").inc()
    return True
