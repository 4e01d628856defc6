"""Ingest: three doors into one merge of events into user profiles.

- `webhook`: POST /events, the Standard Webhooks signature and the body's events;
- `segment`: POST /events/segment, Segment-spec calls from Segment or RudderStack;
- `backfill`: history files imported from S3, one Distributed Map child batch at a time.

The webhook and Segment apply live events through `live` (attribution, coupon redemption in
`coupons`, the catalog): the webhook's once per (user, request) in `apply`, Segment's calls once per
(user, call) in `calls`, both as conditional transactions with their markers. All three fold events
with `domain.journey.merge`; the backfill marks each history row it applies. `validation` holds
what the doors refuse and how they say so; `segment_auth` who may post Segment calls.
"""
