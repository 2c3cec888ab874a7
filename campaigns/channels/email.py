"""Email through Django's mail backend (SMTP or any anymail provider, set by EMAIL_URL).

Marketing emails carry one-click unsubscribe headers (RFC 8058) and every email the club's
postal address, as the bulk-sender rules of the big mailbox providers ask.
"""

from __future__ import annotations

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from campaigns.channels import Channel, PermanentError, Sent, TransientError


class EmailChannel(Channel):
    def send(self, touchpoint) -> Sent:
        message = build_message(touchpoint)
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"recipient refused: {error}", code="recipient_refused") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(str(error)) from error
        return Sent(provider_id=message.extra_headers["Message-ID"].strip("<>")[:64])


def build_message(touchpoint) -> EmailMessage:
    from campaigns.unsubscribe import unsubscribe_url

    member, club = touchpoint.member, touchpoint.club
    footer = [f"{club.name}", club.address.strip()] if club.address else [club.name]
    headers = {"Message-ID": f"<touchpoint-{touchpoint.pk}@{_domain()}>"}
    if touchpoint.is_marketing:
        link = unsubscribe_url(member)
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        footer.append(f"Unsubscribe: {link}")
    body = f"{touchpoint.body}\n\n--\n" + "\n".join(footer)
    return EmailMessage(
        subject=touchpoint.subject or club.name,
        body=body,
        from_email=_sender(club),
        to=[member.email],
        headers=headers,
    )


def _sender(club) -> str:
    if club.email_sender:
        return f"{club.name} <{club.email_sender}>"
    return settings.DEFAULT_FROM_EMAIL


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
