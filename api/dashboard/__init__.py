"""The web dashboard: pages for people, served by the same app on the API's reach rules."""
