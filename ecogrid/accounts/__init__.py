"""Staff accounts: users, roles and teams, sign-in (API tokens and the page form) and its throttling."""
