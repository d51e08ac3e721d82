"""What the service holds about a resident, for the resident to see and take away."""
