"""规则: the tenant's rule documents and the decisions its pack makes, read from the pack the
console loads for its labels."""
