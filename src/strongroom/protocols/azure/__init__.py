"""The Azure Key Vault keys API and the Microsoft identity platform's token endpoint, over the core."""
