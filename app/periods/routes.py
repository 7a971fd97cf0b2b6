"""Routes: trust staff publish and manage periods, offers and adverts."""
