"""One controller per area of the API; each only translates HTTP into service calls."""
