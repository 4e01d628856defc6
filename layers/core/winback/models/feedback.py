"""Messages on the feedback topic: SES bounce/complaint/delivery notifications and inbound SMS.

SES sends either identity notifications (`notificationType`) or configuration-set events
(`eventType`); both carry the same `bounce` / `complaint` / `delivery` objects.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class Mail(_Loose):
    message_id: str = Field("", alias="messageId")
    # Event publishing carries the message's tags (our campaign, step, arm, segment).
    tags: dict[str, list[str]] = Field(default_factory=dict)

    def tag(self, name: str) -> str | None:
        values = self.tags.get(name)
        return values[0] if values else None


class SesNotification(_Loose):
    kind: Literal["Bounce", "Complaint", "Delivery"]
    bounce: Bounce | None = None
    complaint: Complaint | None = None
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
        if self.kind == "Bounce" and self.bounce is None:
            raise ValueError("Bounce notification without a bounce object")
        if self.kind == "Complaint" and self.complaint is None:
            raise ValueError("Complaint notification without a complaint object")
        return self


class InboundSms(_Loose):
    origination_number: str = Field(alias="originationNumber", min_length=3)
    message_body: str = Field(alias="messageBody")
    inbound_message_id: str = Field("", alias="inboundMessageId")
