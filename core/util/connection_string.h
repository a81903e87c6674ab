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

/// The ODBC connection string of an `odbc:` source: `odbc:NAME` (no '=') becomes `DSN=NAME`,
/// `odbc:KEY=value;...` is passed on as written. Precondition: databaseKind(source) == kOdbc.
std::string odbcConnectionString(std::string_view source);

}  // namespace rwb
