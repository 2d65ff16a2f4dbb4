"""The session panel: banner, sign-in, the visitor's own key, their allowance."""
