"""Sending e-mail over SMTP with the standard library, or to the log in development."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask

from lms.errors import LmsError

log = logging.getLogger("lms.mail")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class MailNotSent(LmsError):
    """The SMTP server refused or could not be reached."""


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="pss-learning")
    message.set_content(body)
    return message


def send_mail(app: Flask, to: str, subject: str, body: str) -> None:
    """Send one plain-text message. With no LMS_MAIL_SERVER the message is logged instead.

    Under TESTING only a server on this machine is accepted, so tests can never send real mail.
    """
    config = app.config
    message = build_message(config["MAIL_SENDER"], to, subject, body)
    server = config["MAIL_SERVER"]
    if not server:
        log.info("mail not sent (LMS_MAIL_SERVER is empty):\n%s", message)
        return
    if app.testing and server not in LOCAL_HOSTS:
        raise MailNotSent(f"refusing to send test mail through {server}")
    try:
        with smtplib.SMTP(server, config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.error("mail to %s not sent: %s", to, error)
        raise MailNotSent(str(error)) from error
