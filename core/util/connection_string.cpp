#include "core/util/connection_string.h"

#include <algorithm>
#include <cctype>

namespace rwb {

namespace {

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && startsWithIgnoreCase(a, b);
}

bool isSecretKey(std::string_view key) {
  // Trim spaces around the key: "PWD = x" is accepted by ODBC drivers.
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  for (const char* k : {"password", "pwd", "sslpassword"}) {
    if (equalsIgnoreCase(key, k)) return true;
  }
  return false;
}

// URI: drops the password of the user info and every secret query parameter.
std::string redactUri(std::string_view uri) {
  const auto scheme = uri.find("://");
  std::string out(uri.substr(0, scheme + 3));
  std::string_view rest = uri.substr(scheme + 3);
  const auto query = rest.find('?');
  std::string_view authority = rest.substr(0, query);
  // The user info ends at the last '@' before the path (a password may itself hold '@' when
  // percent-encoding was forgotten).
  const auto slash = authority.find('/');
  const auto at = authority.substr(0, slash).rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userInfo = authority.substr(0, at);
    out += userInfo.substr(0, userInfo.find(':'));
    out += authority.substr(at);
  } else {
    out += authority;
  }
  if (query == std::string_view::npos) return out;
  std::string_view params = rest.substr(query + 1);
  std::string kept;
  while (!params.empty()) {
    const auto amp = params.find('&');
    const std::string_view param = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (isSecretKey(param.substr(0, param.find('=')))) continue;
    if (!kept.empty()) kept += '&';
    kept += param;
  }
  if (!kept.empty()) out += "?" + kept;
  return out;
}

// ODBC "KEY=value;KEY={va;lue}" lists: drops secret attributes, braces included.
std::string redactOdbc(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto eq = text.find('=', i);
    const auto semi = text.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      // A part without '=' (a bare DSN name): kept as it is.
      const auto end = semi == std::string_view::npos ? text.size() : semi + 1;
      out += text.substr(i, end - i);
      i = end;
      continue;
    }
    std::size_t end = eq + 1;
    if (end < text.size() && text[end] == '{') {
      // A braced value ends at "}" not followed by another "}" ("}}" escapes a brace).
      ++end;
      while (end < text.size()) {
        if (text[end] == '}') {
          if (end + 1 < text.size() && text[end + 1] == '}') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
    }
    end = text.find(';', end);
    end = end == std::string_view::npos ? text.size() : end + 1;
    if (!isSecretKey(text.substr(i, eq - i))) out += text.substr(i, end - i);
    i = end;
  }
  return out;
}

// libpq "key=value key='quoted value'" lists: drops secret pairs.
std::string redactKeyValue(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const auto eq = text.find('=', i);
    if (eq == std::string_view::npos) {
      out += (out.empty() ? "" : " ") + std::string(text.substr(i));
      break;
    }
    std::size_t end = eq + 1;
    while (end < text.size() && text[end] == ' ') ++end;
    if (end < text.size() && text[end] == '\'') {
      ++end;
      while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, text.size());
    } else {
      while (end < text.size() && text[end] != ' ') end += text[end] == '\\' ? 2 : 1;
      end = std::min(end, text.size());
    }
    if (!isSecretKey(text.substr(i, eq - i))) {
      out += (out.empty() ? "" : " ") + std::string(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

}  // namespace

DatabaseKind databaseKind(std::string_view source) noexcept {
  if (startsWithIgnoreCase(source, "postgresql://") || startsWithIgnoreCase(source, "postgres://"))
    return DatabaseKind::kPostgreSql;
  if (startsWithIgnoreCase(source, "odbc:")) return DatabaseKind::kOdbc;
  return DatabaseKind::kNone;
}

std::string redactConnectionString(std::string_view source) {
  switch (databaseKind(source)) {
    case DatabaseKind::kPostgreSql:
      return redactUri(source);
    case DatabaseKind::kOdbc:
      return std::string(source.substr(0, 5)) + redactOdbc(source.substr(5));
    case DatabaseKind::kNone:
      break;
  }
  // A libpq key/value string is not a source this project accepts, but libpq may echo one.
  if (source.find("password") != std::string_view::npos ||
      source.find("PASSWORD") != std::string_view::npos) {
    return redactKeyValue(source);
  }
  return std::string(source);
}

std::string odbcConnectionString(std::string_view source) {
  const std::string_view rest = source.substr(5);
  if (rest.find('=') == std::string_view::npos) return "DSN=" + std::string(rest);
  return std::string(rest);
}

std::string withPassword(std::string_view source, std::string_view password) {
  if (password.empty()) return std::string(source);
  switch (databaseKind(source)) {
    case DatabaseKind::kPostgreSql: {
      // Redacting first drops a password of the user info or of the parameters: one remains.
      std::string out = redactUri(source);
      out += out.find('?') == std::string::npos ? "?password=" : "&password=";
      static const char* kHex = "0123456789ABCDEF";
      for (const char ch : password) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          out += ch;
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      }
      return out;
    }
    case DatabaseKind::kOdbc: {
      std::string out = redactOdbc(odbcConnectionString(source));
      while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
      // Braced, with '}' doubled: any character may stand in the value.
      out += ";PWD={";
      for (const char ch : password) {
        out += ch;
        if (ch == '}') out += '}';
      }
      return "odbc:" + out + "}";
    }
    case DatabaseKind::kNone:
      break;
  }
  return std::string(source);
}

}  // namespace rwb
