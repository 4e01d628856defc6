"""Messages on the feedback topic: SES bounce/complaint/delivery notifications and inbound SMS.

SES sends either identity notifications (`notificationType`) or configuration-set events
(`eventType`); both carry the same `bounce` / `complaint` / `delivery` objects. Only event
publishing reports sends (SES accepted the message: an empty `send` object), opens and clicks
(`open`, `click` objects).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Recipient(_Loose):
    email_address: str = Field(alias="emailAddress")


class Bounce(_Loose):
    bounce_type: Literal["Permanent", "Transient", "Undetermined"] = Field(alias="bounceType")
    bounced_recipients: list[Recipient] = Field(alias="bouncedRecipients", min_length=1)
    feedback_id: str = Field("", alias="feedbackId")


class Complaint(_Loose):
    complained_recipients: list[Recipient] = Field(alias="complainedRecipients", min_length=1)
    feedback_id: str = Field("", alias="feedbackId")


class Open(_Loose):
    """Event publishing's `open` object: who fetched the tracking pixel."""

    ip_address: str = Field("", alias="ipAddress")
    timestamp: AwareDatetime
    user_agent: str = Field("", alias="userAgent")


class Click(_Loose):
    """Event publishing's `click` object: the link followed through SES's click tracking."""

    ip_address: str = Field("", alias="ipAddress")
    link: str = ""
    timestamp: AwareDatetime
    user_agent: str = Field("", alias="userAgent")


class Mail(_Loose):
    message_id: str = Field("", alias="messageId")
    # Event publishing carries the message's tags (our campaign, step, arm, segment).
    tags: dict[str, list[str]] = Field(default_factory=dict)

    def tag(self, name: str) -> str | None:
        values = self.tags.get(name)
        return values[0] if values else None


class SesNotification(_Loose):
    kind: Literal["Send", "Bounce", "Complaint", "Delivery", "Open", "Click"]
    send: dict[str, object] | None = None  # SES documents it empty
    bounce: Bounce | None = None
    complaint: Complaint | None = None
    open: Open | None = None
    click: Click | None = None
    mail: Mail = Mail()

    @model_validator(mode="before")
    @classmethod
    def _kind(cls, data: object) -> object:
        if isinstance(data, dict):
            kind = data.get("notificationType") or data.get("eventType")
            return {**data, "kind": kind}
        return data

    @model_validator(mode="after")
    def _body_present(self) -> SesNotification:
        if self.kind == "Send" and self.send is None:
            raise ValueError("Send event without a send object")
        if self.kind == "Bounce" and self.bounce is None:
            raise ValueError("Bounce notification without a bounce object")
        if self.kind == "Complaint" and self.complaint is None:
            raise ValueError("Complaint notification without a complaint object")
        if self.kind == "Open" and self.open is None:
            raise ValueError("Open event without an open object")
        if self.kind == "Click" and self.click is None:
            raise ValueError("Click event without a click object")
        return self


class InboundSms(_Loose):
    origination_number: str = Field(alias="originationNumber", min_length=3)
    message_body: str = Field(alias="messageBody")
    inbound_message_id: str = Field("", alias="inboundMessageId")
