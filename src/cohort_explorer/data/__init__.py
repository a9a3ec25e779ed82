"""Data: coding of values, column roles, patient identifiers and the validation report."""
