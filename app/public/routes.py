"""Routes: Public pages: advertised vacancies."""
