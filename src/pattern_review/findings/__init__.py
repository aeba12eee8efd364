"""What happens to findings between the checks and the report."""
