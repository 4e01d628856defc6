"""Test doubles. The send service's in-memory world lives in winback_dev.memory, shared with
`winback simulate`; send.py re-exports it for the tests. profiles.py: the customer they start from."""
