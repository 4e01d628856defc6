"""Feedback: what the providers tell us after a send.

- `topic`: one FeedbackTopic message, an SES notification or an inbound SMS;
- `ses`: SES bounces and complaints become suppressions (`engagement`: opens, clicks and deliveries
  on the user's profile; `cells`: counted in the campaign's experiment cell, which may pause it);
- `sms_replies`: STOP, TD, 退订 ... and START replies;
- `sms_status`: SNS delivery-status logs, whether each text was delivered.
"""
