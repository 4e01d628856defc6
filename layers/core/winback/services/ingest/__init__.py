"""Ingest: three doors into one merge of events into user profiles.

- `webhook`: POST /events, the Standard Webhooks signature and the body's events;
- `segment`: POST /events/segment, Segment-spec calls from Segment or RudderStack;
- `backfill`: history files imported from S3, one Distributed Map child batch at a time.

The webhook and Segment apply live events through `live.ingest_events` (attribution, coupon
redemption in `coupons`, the catalog); all three fold events with `domain.journey.merge`, the live
ones through `apply.apply_events`. `validation` holds what the doors refuse and how they say so.
"""
