-- ASP.NET Data Protection keys (sign-in cookie, antiforgery), shared by every instance on this store.
CREATE TABLE data_protection_keys (
    friendly_name TEXT PRIMARY KEY,
    xml           TEXT NOT NULL
);
