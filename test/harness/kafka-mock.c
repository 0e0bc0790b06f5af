/*
 * A Kafka mock cluster for tests: librdkafka's in-process mock brokers
 * (3 by default, on 127.0.0.1 ephemeral ports), driven over stdin.
 * Prints the bootstrap list on the first stdout line, then one "ok" or
 * "err <reason>" per command:
 *   down <id> | up <id> | down-all | up-all | topic <name> <partitions> <replication>
 *   produce-errors <err> [<err>...]   the next Produce requests (cluster-wide, in
 *                                     order) answer these Kafka error codes; 0 = accept
 * Exits when stdin closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static void reply(rd_kafka_resp_err_t err) {
  if (err) printf("err %s\n", rd_kafka_err2str(err));
  else printf("ok\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only does book-keeping for the mock cluster; keep it quiet. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[512], name[256];
  int id, partitions, replication;
  while (fgets(line, sizeof(line), stdin)) {
    if (sscanf(line, "down %d", &id) == 1) reply(rd_kafka_mock_broker_set_down(mc, id));
    else if (sscanf(line, "up %d", &id) == 1) reply(rd_kafka_mock_broker_set_up(mc, id));
    else if (strncmp(line, "down-all", 8) == 0) reply(rd_kafka_mock_broker_set_down(mc, -1));
    else if (strncmp(line, "up-all", 6) == 0) reply(rd_kafka_mock_broker_set_up(mc, -1));
    else if (sscanf(line, "topic %255s %d %d", name, &partitions, &replication) == 3)
      reply(rd_kafka_mock_topic_create(mc, name, partitions, replication));
    else if (strncmp(line, "produce-errors ", 15) == 0) {
      rd_kafka_resp_err_t errs[64];
      size_t cnt = 0;
      char *p = line + 15, *end;
      for (long v = strtol(p, &end, 10); end != p && cnt < 64; v = strtol(p, &end, 10)) {
        errs[cnt++] = (rd_kafka_resp_err_t)v;
        p = end;
      }
      if (cnt == 0) { printf("err no error codes\n"); fflush(stdout); }
      else { rd_kafka_mock_push_request_errors_array(mc, 0 /* Produce */, cnt, errs); reply(RD_KAFKA_RESP_ERR_NO_ERROR); }
    }
    else { printf("err unknown command\n"); fflush(stdout); }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
