// Temporal's time-skipping test server, started at a chosen instant. The stock main
// (io.temporal.testserver.TestServer) always starts its clock at the machine's current time, so a
// test's dates would depend on the day it runs; the server itself takes an initial time
// (TestServicesStarter(lockTimeSkipping, initialTimeMillis)), which this launcher passes through.
//
// Usage: StartAtTestServer <port> [--start-time <ISO-8601 instant>] [--enable-time-skipping]
// Without --start-time it behaves as the stock server. Compiled once by scripts/tools.mjs.
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.time.Instant;

public final class StartAtTestServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("Usage: StartAtTestServer <port> [--start-time <ISO instant>] [--enable-time-skipping]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    long startMillis = 0; // 0: the machine's current time
    boolean lockTimeSkipping = true; // the SDK unlocks it through its TestService calls
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--start-time") && i + 1 < args.length) {
        startMillis = Instant.parse(args[++i]).toEpochMilli();
      } else if (args[i].equalsIgnoreCase("--enable-time-skipping")) {
        lockTimeSkipping = false;
      } else {
        System.err.println("Unknown argument " + args[i]);
        System.exit(2);
      }
    }
    TestServicesStarter services = new TestServicesStarter(lockTimeSkipping, startMillis);
    ServerBuilder<?> builder = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server = builder.build().start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdownNow();
                  services.close();
                }));
    server.awaitTermination();
  }
}
