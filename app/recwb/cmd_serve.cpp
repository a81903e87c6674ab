#include <iostream>

#include "cli.h"
#include "core/export/model_server.h"
#include "core/util/error.h"

namespace rwb::cli {

Action registerServe(CLI::App& sub, Common&) {
  struct Opts {
    std::string model;
    ServerOptions server;
    bool accessLog = false;
    std::string retrieval = "auto";
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--model", o->model, "Model package (.rwbm) to serve")->required();
  sub.add_option("--host", o->server.host, "Address to bind (default loopback only)");
  sub.add_option("--port", o->server.port, "TCP port (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  sub.add_option("--threads", o->server.threads, "Route handlers computing at once")
      ->check(CLI::Range(1, 256));
  sub.add_option("--max-body", o->server.maxBodyBytes,
                 "Largest request body in bytes, however framed (else 413)");
  sub.add_option("--max-connections", o->server.maxConnections,
                 "Connections served at once (as many more queue; beyond that 503)")
      ->check(CLI::Range(1, 4096));
  sub.add_option("--request-timeout", o->server.requestTimeoutSeconds,
                 "Seconds a client has to send a whole request (else 408, disconnected)")
      ->check(CLI::Range(1, 3600));
  sub.add_option("--retrieval", o->retrieval,
                 "'auto' (default): /recommend uses the package's HNSW index when it has one; "
                 "'exact': never; 'hnsw': require one (else an error)")
      ->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  sub.add_flag("--access-log", o->accessLog,
               "One line per request on stderr: UTC time, client, method, path, status, latency");
  return [o]() {
    if (o->accessLog) {
      o->server.accessLog = [](const std::string& line) { std::cerr << line << '\n'; };
    }
    o->server.useRetrievalIndex = o->retrieval != "exact";
    ModelServer server(o->model, o->server);
    const auto pkg = server.package();
    if (o->retrieval == "hnsw" && pkg->retrievalIndex() == nullptr) {
      throw SpecError("--retrieval", "'" + o->model + "' has no retrieval index (a '" +
                                         pkg->info().modelType +
                                         "' model; export a factor model with --retrieval hnsw)");
    }
    if (const RetrievalIndex* index = server.retrievalIndex(*pkg)) {
      std::cerr << "recwb serve: approximate retrieval " << index->info().summary() << std::endl;
    }
    std::cerr << "recwb serve: " << pkg->info().modelType << " model (" << pkg->users().size()
              << " users, " << pkg->items().size() << " items) on http://" << o->server.host << ":"
              << server.port() << "  [SIGHUP or POST /admin/reload reloads, Ctrl-C stops]"
              << std::endl;
    // The process's signal watcher (main) calls these: SIGINT/SIGTERM end run(), SIGHUP reloads.
    SignalHooks hooks([&server] { server.stop(); },
                      [&server, &o] {
                        try {
                          server.reload();
                          std::cerr << "recwb serve: reloaded " << o->model << std::endl;
                        } catch (const std::exception& e) {
                          std::cerr
                              << "recwb serve: reload failed, previous model kept: " << e.what()
                              << std::endl;
                        }
                      });
    // A signal that arrived before the hooks were set has already stopped processContext().
    if (!processContext().stopRequested()) server.run();
    std::cerr << "recwb serve: stopped after " << server.requestsServed() << " requests"
              << std::endl;
    return 0;
  };
}

}  // namespace rwb::cli
