"""
Parse's classic REST API: a client (L{luggage.parse.client}) and Parse's
error codes (L{luggage.parse.errors}), which the client and the embedded
server (L{luggage.parselite}) share.
"""
