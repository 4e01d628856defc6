"""The one in-memory world of the send service's ports (winback.services.send.ports), and of the
feedback's (winback.services.feedback.ports): the unit tests (through tests/fakes) and `winback
simulate` run the real services over it, without moto or a network. The simulator extends it for
compact storage (a few bytes per user) and faults.

It keeps the adapters' contracts that the guarantees rest on: a claim is a conditional write on the
send state's version; a bookkeeping write is all or nothing, refused when an outcome's claim already
has a terminal record; a parked job with the same key replaces the earlier one; a coupon is issued
once per send and within the budget.

  clock.py        ManualClock: a clock that moves only when told
  messaging.py    InMemoryMessaging: send states, outcome records, SES's Send events, counters, answers, pauses,
                  facts counted once, soft bounces, texts' cells
  claim_index.py  InMemoryClaimIndex: the sweeper's view (claims in time order from a cursor)
  stores.py       the job's context, suppressions, deferrals (the Records port), coupons, offers
  channels.py     RecordingChannel, and no recommendations
  quota.py        InMemoryQuotaLeases: the email quota shared by every pacer (the lease counter)
  world.py        MemoryWorld: every port in memory, and the SendDeps (and SweepDeps) over them
"""
