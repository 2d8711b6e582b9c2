"""fnix: the operator's command line over the exchange's own services, and the developer tools behind `./dev`.

Not part of the deployed function app (`.funcignore` leaves `tools/` out; a test holds that the app never imports it).
"""
