"""Key vault stores (memory, SQLite, PostgreSQL) and Extended JSON export/import."""

from strongroom_client.keyvault.base import KeyVault
from strongroom_client.keyvault.exchange import ImportResult, export_key_vault, import_key_vault
from strongroom_client.keyvault.memory import MemoryKeyVault
from strongroom_client.keyvault.sqlite import SqliteKeyVault

__all__ = ["ImportResult", "KeyVault", "MemoryKeyVault", "SqliteKeyVault", "export_key_vault", "import_key_vault"]
