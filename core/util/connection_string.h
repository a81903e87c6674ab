#pragma once
/// \file
/// Database sources named by one string, as a data path is: `postgresql://...` (or
/// `postgres://...`, a libpq connection URI) and `odbc:DSN` / `odbc:` + an ODBC connection
/// string. Credentials may be part of that string; redactConnectionString() is the one place
/// that removes them before the string is shown, logged or stored.

#include <string>
#include <string_view>

namespace rwb {

/// The kind of database a source string names.
enum class DatabaseKind {
  kNone,        ///< not a database source (a file or folder path)
  kPostgreSql,  ///< libpq connection URI: postgresql://[user[:password]@]host[:port]/db?...
  kOdbc,        ///< odbc:DSN or odbc:KEY=value;KEY=value (an ODBC connection string)
};

/// Which kind of database `source` names (by its prefix, case-insensitive); kNone for paths.
DatabaseKind databaseKind(std::string_view source) noexcept;

/// The source with every credential removed: the password of a URI's user info
/// (`user:secret@` -> `user@`), `password=` / `sslpassword=` URI parameters and libpq key/value
/// pairs, and ODBC `PWD=` / `Password=` attributes (braced values included). Everything else is
/// kept, so the result still says where the data is. Strings that are not database sources are
/// returned unchanged.
std::string redactConnectionString(std::string_view source);

/// The source with `password` added for one connection (a password typed in a dialog, kept for
/// the session only): a URI gets a percent-encoded `password=` parameter (replacing any password
/// it held), an ODBC source a braced `PWD=` attribute (`odbc:NAME` becomes `odbc:DSN=NAME;PWD=
/// {...}`). An empty password, or a source that is not a database, is returned unchanged.
/// redactConnectionString() of the result names the same source without the password (for
/// `odbc:NAME` spelled `odbc:DSN=NAME`).
std::string withPassword(std::string_view source, std::string_view password);

/// The ODBC connection string of an `odbc:` source: `odbc:NAME` (no '=') becomes `DSN=NAME`,
/// `odbc:KEY=value;...` is passed on as written. Precondition: databaseKind(source) == kOdbc.
std::string odbcConnectionString(std::string_view source);

}  // namespace rwb
