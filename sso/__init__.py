"""Single sign-on with OpenID Connect, and the switch that turns local passwords off."""
