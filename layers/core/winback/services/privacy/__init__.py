"""A data subject's rights (GDPR Art. 15/17, CCPA, PIPL): `export` everything stored about a user as one
JSON document, and `erasure` of it; `user_data` finds what both read."""
