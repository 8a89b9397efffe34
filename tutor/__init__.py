"""Institute Tutor: grounded, adaptive tutoring over an institute's published content."""
