"""Reports for each party (commissioner, provider, investor) and the writers that hand them out."""
