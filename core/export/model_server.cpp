#include "core/export/model_server.h"

#include <httplib.h>

#include <charconv>
#include <cmath>
#include <set>
#include <unordered_set>

#include "core/export/batch_scorer.h"
#include "core/features/feature_pipeline.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

using json = nlohmann::json;

/// A request-level error: turned into {"error": message} with this HTTP status.
struct HttpError {
  int status;
  std::string message;
};

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void checkParams(const httplib::Request& req, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : req.params) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw HttpError{400, "unknown parameter '" + key + "' (allowed: " + list + ")"};
    }
    if (req.get_param_value_count(key) > 1) {
      throw HttpError{400, "parameter '" + key + "' given more than once"};
    }
  }
}

/// POST routes take their input from the body; httplib also parses form-encoded bodies into
/// params, so query parameters are checked on the raw target instead.
void checkNoQuery(const httplib::Request& req) {
  if (req.target.find('?') != std::string::npos) {
    throw HttpError{400, "this route takes no query parameters; send a JSON body"};
  }
}

std::string requiredParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) throw HttpError{400, std::string("missing parameter '") + name + "'"};
  std::string v = req.get_param_value(name);
  if (v.empty()) throw HttpError{400, std::string("parameter '") + name + "' is empty"};
  return v;
}

std::size_t parseK(const httplib::Request& req, std::size_t maxK) {
  if (!req.has_param("k")) return 10;
  const std::string s = req.get_param_value("k");
  long long k = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), k);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || k < 1 ||
      k > static_cast<long long>(maxK)) {
    throw HttpError{400,
                    "k must be an integer from 1 to " + std::to_string(maxK) + ", got '" + s + "'"};
  }
  return static_cast<std::size_t>(k);
}

bool parseBool(const httplib::Request& req, const char* name, bool fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw HttpError{400, std::string("parameter '") + name + "' must be true or false"};
}

/// A parsed POST /score body. The attribute table lives here so newUser can point at it.
struct ScoreRequest {
  std::string user;
  AttributeTable attributes;
  bool hasAttributes = false;
  NewUser newUser;
  std::vector<Index> known;        ///< candidate items known to the model
  std::vector<std::size_t> where;  ///< their position in rows
  json rows = json::array();       ///< one answer row per requested item, in request order
  json unknownHistory = json::array();
  ScoreRequest() = default;
  ScoreRequest(const ScoreRequest&) = delete;
  ScoreRequest& operator=(const ScoreRequest&) = delete;
};

/// Builds one row of user attributes from JSON: number -> numeric, string -> categorical,
/// array of strings -> multi-valued, null -> missing. The model's pipeline then conforms the
/// columns to its encoders (e.g. a string for a numeric column is parsed).
AttributeTable attributesFromJson(const json& attrs, const Model& model) {
  if (!attrs.is_object()) throw HttpError{400, "field 'attributes' must be a JSON object"};
  const FeaturePipeline* pipeline = model.featurePipeline();
  AttributeTable table;
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    const std::string& name = it.key();
    if (pipeline != nullptr) {
      bool used = false;
      std::string names;
      for (const auto& e : pipeline->userEncoders()) {
        used = used || e.config().column == name;
        if (names.find("'" + e.config().column + "'") == std::string::npos)
          names += (names.empty() ? "" : ", ") + ("'" + e.config().column + "'");
      }
      if (!used) {
        throw HttpError{400, "unknown attribute '" + name + "' (the model uses: " +
                                 (names.empty() ? std::string("none") : names) + ")"};
      }
    }
    const json& v = it.value();
    AttributeColumn col;
    col.name = name;
    if (v.is_null()) continue;
    if (v.is_number()) {
      col.type = ColumnType::kNumeric;
      col.numeric.push_back(v.get<double>());
    } else if (v.is_string()) {
      col.type = ColumnType::kCategorical;
      const auto text = v.get<std::string>();
      col.codes.push_back(text.empty() ? -1 : col.internCategory(text));
    } else if (v.is_array()) {
      col.type = ColumnType::kMultiCategorical;
      col.offsets.push_back(0);
      for (const auto& e : v) {
        if (!e.is_string()) {
          throw HttpError{400, "attribute '" + name + "': every array entry must be a string"};
        }
        col.codes.push_back(col.internCategory(e.get<std::string>()));
      }
      col.offsets.push_back(col.codes.size());
    } else {
      throw HttpError{
          400, "attribute '" + name + "' must be a number, a string, an array of strings or null"};
    }
    table.columns.push_back(std::move(col));
  }
  return pipeline != nullptr ? pipeline->conformUserAttributes(table) : table;
}

/// Validates a POST /score body: {"user": "U", "attributes": {...}, "history": [...],
/// "items": [...]}; items is required, and user or attributes (or history) too.
void parseScoreRequestInto(const json& body, const ModelPackage& pkg, ScoreRequest& r) {
  if (!body.is_object()) throw HttpError{400, "body must be a JSON object"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "user" && it.key() != "items" && it.key() != "attributes" &&
        it.key() != "history") {
      throw HttpError{
          400, "unknown field '" + it.key() + "' (allowed: user, attributes, history, items)"};
    }
  }
  if (body.contains("user")) {
    if (!body["user"].is_string() || body["user"].get<std::string>().empty()) {
      throw HttpError{400, "field 'user' must be a non-empty string"};
    }
    r.user = body["user"].get<std::string>();
  }
  if (body.contains("attributes")) {
    r.attributes = attributesFromJson(body["attributes"], pkg.model());
    r.hasAttributes = true;
    r.newUser.attributes = &r.attributes;
    r.newUser.row = 0;
  }
  if (body.contains("history")) {
    if (!body["history"].is_array()) {
      throw HttpError{400, "field 'history' must be an array of item ids"};
    }
    for (const auto& h : body["history"]) {
      if (!h.is_string()) throw HttpError{400, "every entry of 'history' must be a string"};
      if (auto idx = pkg.items().find(h.get<std::string>())) {
        r.newUser.history.push_back(*idx);
      } else {
        r.unknownHistory.push_back(h);
      }
    }
  }
  if (r.user.empty() && !body.contains("attributes") && !body.contains("history")) {
    throw HttpError{400, "field 'user' (string) or 'attributes' (object) is required"};
  }
  if (!body.contains("items") || !body["items"].is_array() || body["items"].empty()) {
    throw HttpError{400, "field 'items' (non-empty array of item ids) is required"};
  }
  if (body["items"].size() > 100000) throw HttpError{400, "at most 100000 items per request"};
  for (const auto& it : body["items"]) {
    if (!it.is_string()) throw HttpError{400, "every entry of 'items' must be a string"};
    const auto name = it.get<std::string>();
    if (auto idx = pkg.items().find(name)) {
      r.known.push_back(*idx);
      r.where.push_back(r.rows.size());
      r.rows.push_back({{"item", name}, {"score", nullptr}});
    } else {
      r.rows.push_back({{"item", name}, {"score", nullptr}, {"unknown_item", true}});
    }
  }
}

json itemsJson(const ModelPackage& pkg, const std::vector<ScoredItem>& items) {
  json arr = json::array();
  int rank = 1;
  for (const auto& s : items) {
    arr.push_back({{"item", pkg.items().external(s.item)}, {"score", s.score}, {"rank", rank++}});
  }
  return arr;
}

/// Wraps a handler: HttpError -> its status; engine errors -> 400 with the engine's text;
/// anything else -> 500 (a bug, reported with its message).
template <typename F>
httplib::Server::Handler guarded(std::atomic<std::uint64_t>& served, F f) {
  return [&served, f](const httplib::Request& req, httplib::Response& res) {
    try {
      f(req, res);
    } catch (const HttpError& e) {
      sendJson(res, e.status, {{"error", e.message}});
    } catch (const json::exception& e) {
      sendJson(res, 400, {{"error", std::string("malformed JSON: ") + e.what()}});
    } catch (const Error& e) {
      sendJson(res, 400, {{"error", e.what()}});
    } catch (const std::exception& e) {
      sendJson(res, 500, {{"error", std::string("internal error: ") + e.what()}});
    }
    served.fetch_add(1, std::memory_order_relaxed);
  };
}

}  // namespace

ModelServer::ModelServer(std::string packagePath, ServerOptions options)
    : path_(std::move(packagePath)), options_(std::move(options)) {
  package_ = ModelPackage::load(path_);
  server_ = std::make_unique<httplib::Server>();
  const int threads = std::max(1, options_.threads);
  // cpp-httplib owns the queue it is given and deletes it: its API requires a raw pointer.
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server_->set_payload_max_length(options_.maxBodyBytes);
  // Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every keep-alive response.
  server_->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second server silently share
  // the port; keep only SO_REUSEADDR so a taken port is an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_read_timeout(options_.readTimeoutSeconds, 0);
  server_->set_write_timeout(options_.writeTimeoutSeconds, 0);
  server_->set_keep_alive_timeout(options_.keepAliveTimeoutSeconds);
  installRoutes();
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    // Binding fails for a host that is not an address of this machine far more often than
    // for a lack of free ports: say both.
    if (port_ < 0) {
      throw IoError("cannot listen on " + options_.host +
                    " (not an address of this machine, or no free port)");
    }
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      throw IoError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                    " (address in use or not available)");
    }
    port_ = options_.port;
  }
}

ModelServer::~ModelServer() { stop(); }

void ModelServer::run() { server_->listen_after_bind(); }

void ModelServer::stop() {
  if (server_) server_->stop();
}

std::shared_ptr<const ModelPackage> ModelServer::package() const {
  std::lock_guard lock(packageMutex_);
  return package_;
}

void ModelServer::reload() {
  auto fresh = ModelPackage::load(path_);  // validated before it replaces anything
  {
    std::lock_guard lock(packageMutex_);
    package_ = std::move(fresh);
  }
  reloads_.fetch_add(1);
}

void ModelServer::installRoutes() {
  auto& s = *server_;
  const std::size_t maxK = options_.maxK;

  s.Get("/health", guarded(served_, [this](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {});
          const auto pkg = package();
          sendJson(res, 200,
                   {{"status", "ok"},
                    {"model_type", pkg->info().modelType},
                    {"checksum", pkg->info().checksum},
                    {"reloads", reloads_.load()}});
        }));

  s.Get("/metadata", guarded(served_, [this](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {});
          sendJson(res, 200, package()->info().toJson());
        }));

  s.Get("/recommend",
        guarded(served_, [this, maxK](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {"user", "k", "exclude", "exclude_seen"});
          const std::string user = requiredParam(req, "user");
          const std::size_t k = parseK(req, maxK);
          const bool excludeSeen = parseBool(req, "exclude_seen", true);
          std::unordered_set<std::string> exclude;
          if (req.has_param("exclude")) {
            const std::string list = req.get_param_value("exclude");
            std::size_t start = 0;
            while (start <= list.size()) {
              const auto comma = std::min(list.find(',', start), list.size());
              if (comma > start) exclude.insert(list.substr(start, comma - start));
              start = comma + 1;
            }
          }
          const auto pkg = package();
          const ExternalRecList l =
              recommendExternal(*pkg, user, k, excludeSeen, exclude.empty() ? nullptr : &exclude);
          sendJson(res, 200,
                   {{"user", user},
                    {"fallback", l.source == RecSource::kPopularity},
                    {"source", fallbackName(l.source)},
                    {"items", itemsJson(*pkg, l.list.items)}});
        }));

  s.Post("/score", guarded(served_, [this](const httplib::Request& req, httplib::Response& res) {
           checkNoQuery(req);
           const json body = parseJson(req.body, "request body");
           const auto pkg = package();
           ScoreRequest r;
           parseScoreRequestInto(body, *pkg, r);
           const Model& model = pkg->model();
           std::vector<float> scores(r.known.size());
           RecSource source = RecSource::kPopularity;
           if (auto u = pkg->users().find(r.user); u && !r.user.empty()) {
             source = model.canScoreUser(*u) ? RecSource::kModel : RecSource::kPopularity;
             model.score(*u, r.known, scores);
           } else if (r.hasAttributes || !r.newUser.history.empty()) {
             if (model.canScoreNewUser(r.newUser)) source = RecSource::kContent;
             model.scoreNewUser(r.newUser, r.known, scores);
           } else {
             for (std::size_t j = 0; j < r.known.size(); ++j) {
               scores[j] = model.itemPopularity()[r.known[j]];
             }
           }
           json out = r.rows;
           const bool probability = source != RecSource::kPopularity && model.scoreIsLogit();
           for (std::size_t j = 0; j < r.known.size(); ++j) {
             json& row = out[r.where[j]];
             row["score"] = scores[j];
             if (probability) {
               row["probability"] = 1.0 / (1.0 + std::exp(-static_cast<double>(scores[j])));
             }
           }
           json answer = {{"fallback", source == RecSource::kPopularity},
                          {"source", fallbackName(source)},
                          {"scores", std::move(out)}};
           if (!r.user.empty()) answer["user"] = r.user;
           if (!r.unknownHistory.empty()) answer["unknown_history"] = r.unknownHistory;
           sendJson(res, 200, answer);
         }));

  s.Get("/similar",
        guarded(served_, [this, maxK](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {"item", "k"});
          const std::string item = requiredParam(req, "item");
          const std::size_t k = parseK(req, maxK);
          const auto pkg = package();
          const auto idx = pkg->items().find(item);
          if (!idx) throw HttpError{404, "unknown item '" + item + "'"};
          sendJson(
              res, 200,
              {{"item", item}, {"items", itemsJson(*pkg, pkg->model().similarItems(*idx, k))}});
        }));

  s.Post("/admin/reload",
         guarded(served_, [this](const httplib::Request& req, httplib::Response& res) {
           checkNoQuery(req);
           try {
             reload();
           } catch (const Error& e) {
             throw HttpError{500, std::string("reload failed, previous model kept: ") + e.what()};
           }
           sendJson(res, 200, {{"status", "reloaded"}, {"checksum", package()->info().checksum}});
         }));

  // Known routes with the wrong method: 405 rather than a bare 404.
  auto methodNotAllowed = [](const char* allowed) {
    return [allowed](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", allowed);
      sendJson(res, 405, {{"error", std::string("method not allowed; use ") + allowed}});
    };
  };
  for (const char* p : {"/health", "/metadata", "/recommend", "/similar"}) {
    s.Post(p, methodNotAllowed("GET"));
  }
  for (const char* p : {"/score", "/admin/reload"}) s.Get(p, methodNotAllowed("POST"));

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 404   ? "no such route: " + req.path
                      : res.status == 413 ? std::string("request body too large")
                                          : "HTTP " + std::to_string(res.status);
    sendJson(res, res.status, {{"error", msg}});
  });
}

}  // namespace rwb
