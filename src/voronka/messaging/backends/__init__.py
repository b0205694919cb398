"""Transports: SMTP (or any Django e-mail backend) for e-mail; console and HTTP gateway for SMS."""
