"""Protocol adapters: each turns its wire format into calls on the core service and back."""
