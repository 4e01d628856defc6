"""`winback doctor`: can this stack and its AWS account send, on every channel the program uses?

Each module answers one part, with what it saw and what to do: `account` (Lambda concurrency),
`email` (SES production access, the sender identity with DKIM, the configuration set and its event
destination), `sms` (the SMS sandbox, spend limit, delivery status, origination identity), `push`
(platform applications), `alarms` (a confirmed alarm subscription), `secrets` (values of the right
shape), `program` (it loads and is not the shipped placeholder) and `sending` (the stack's sending
switch). `run` makes the round, `target` says which stack, `commands` are the CLI's `doctor`,
`enable-sending` and `disable-sending`. Dev tooling: no handler imports it.
"""
