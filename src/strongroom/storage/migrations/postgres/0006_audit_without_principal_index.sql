-- Every request pays for each index of the audit trail. Lookups by principal are rare operator queries,
-- bounded by time through audit_by_time, so they scan rather than cost every request one more index entry.
DROP INDEX audit_by_principal;
