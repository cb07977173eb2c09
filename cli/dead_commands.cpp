#include "cli/dead_commands.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "amqp/confirm_publisher.hpp"
#include "amqp/queue_reader.hpp"
#include "cli/dead_letters.hpp"
#include "cli/tables.hpp"
#include "infra/common_options.hpp"
#include "planning/run_publisher.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::cli {
namespace {

amqp::ConnectionOptions Connecting(const CliConfig& c, const char* name) {
  amqp::ConnectionOptions options;
  options.nodes = c.amqp_url;
  options.name = name;
  return options;
}

// The run rows of the letters, each read once.
class Runs {
 public:
  explicit Runs(RunStore& store) : store_(store) {}
  const std::optional<RunSummary>& Of(const RunId& run) {
    auto it = runs_.find(run);
    if (it == runs_.end()) it = runs_.emplace(run, store_.GetRun(run)).first;
    return it->second;
  }

 private:
  RunStore& store_;
  std::map<RunId, std::optional<RunSummary>> runs_;
};

// The first `limit` letters of `run` (all runs if none) among those ready
// when it starts, held by `reader`, with their task rows. `seen` counts
// every letter taken (those of other runs are held too, until the reader
// closes).
std::vector<DeadLetter> Take(amqp::QueueReader& reader, RunStore& store,
                             const std::optional<RunId>& run, std::size_t limit,
                             std::uint32_t ready, std::size_t& seen) {
  std::vector<DeadLetter> letters;
  seen = 0;
  while (seen < ready && letters.size() < limit) {
    auto delivery = reader.Next();
    if (!delivery) break;
    ++seen;
    DeadLetter letter = ReadDeadLetter(*delivery);
    if (!InRun(letter, run)) continue;
    if (letter.run && letter.task_id) letter.row = store.GetTask(*letter.run, *letter.task_id);
    letters.push_back(std::move(letter));
  }
  return letters;
}

std::string Of(const std::optional<RunId>& run) {
  return run ? " of run " + run->ToString() : std::string();
}

}  // namespace

int DeadList(const CliConfig& c, RunStore& store, std::ostream& out, std::ostream& note) {
  amqp::QueueReader reader(Connecting(c, "dcp dead list"), c.queue.DeadLetterName());
  const std::uint32_t ready = reader.Ready();
  std::size_t seen = 0;
  const auto letters = Take(reader, store, c.run, c.dead_limit, ready, seen);
  if (c.json) {
    nlohmann::json array = nlohmann::json::array();
    for (const DeadLetter& letter : letters) array.push_back(DeadLetterJson(letter));
    out << array.dump() << "\n";
  } else {
    out << DeadLettersTable(letters);
  }
  note << letters.size() << " dead letters" << Of(c.run) << " shown; " << reader.queue()
       << " holds " << ready;
  if (c.run) note << " (" << seen << " of them read)";
  if (letters.size() == c.dead_limit) note << "; --limit shows more";
  note << "\n";
  return kExitOk;  // the reader's close puts every letter back
}

int DeadReplay(const CliConfig& c, RunStore& store, std::ostream& out, std::ostream& note) {
  // Connect to both first: a broker that cannot be reached fails before anything moves.
  std::optional<amqp::ConfirmPublisher> publisher;
  if (!c.dry_run) {
    amqp::PublisherOptions publishing;
    publishing.connection = Connecting(c, "dcp dead replay");
    publishing.queue = c.queue;
    publisher.emplace(std::move(publishing));
  }
  amqp::QueueReader reader(Connecting(c, "dcp dead replay"), c.queue.DeadLetterName());
  const std::uint32_t ready = reader.Ready();
  std::size_t seen = 0;
  const auto letters = Take(reader, store, c.run, c.dead_limit, ready, seen);

  Runs runs(store);
  struct Plan {
    std::vector<TaskId> replay;
    std::vector<const DeadLetter*> replayed, dropped;
  };
  std::map<RunId, Plan> plans;
  std::size_t replay = 0, dropped = 0, kept = 0;
  for (const DeadLetter& letter : letters) {
    const auto decision =
        DecideReplay(letter, letter.run ? runs.Of(*letter.run) : std::optional<RunSummary>());
    out << (letter.task_id ? letter.task_id->ToString() : std::string("-")) << "  "
        << (letter.run ? letter.run->ToString() : std::string("-")) << "  "
        << (c.dry_run ? "would be: " : "") << decision.note << "\n";
    switch (decision.action) {
      case ReplayAction::kReplay:
        plans[*letter.run].replay.push_back(*letter.task_id);
        plans[*letter.run].replayed.push_back(&letter);
        ++replay;
        break;
      case ReplayAction::kDrop:
        plans[*letter.run].dropped.push_back(&letter);
        ++dropped;
        break;
      case ReplayAction::kKeep:
        ++kept;
        break;
    }
  }
  const std::size_t others = seen - letters.size();
  if (c.dry_run) {
    note << "dry run: " << replay << " would be replayed, " << dropped << " dropped, " << kept
         << " kept" << (others > 0 ? ", " + std::to_string(others) + " of other runs left" : "")
         << "; " << reader.queue() << " holds " << ready << "\n";
    return kExitOk;
  }
  std::size_t replayed = 0, published = 0;
  planning::RunPublisher run_publisher(store, *publisher, {});
  for (auto& [run, plan] : plans) {
    // The row moves first: published before its requeue, a task could be
    // taken and skipped as FAILED, then requeued with no message left.
    const auto requeued = store.RequeueFailedTasks(run, plan.replay);
    if (!requeued.empty()) {
      run_publisher.Publish(run, TaskSpan(requeued));
      // The watermark the requeue lowered, back where it was (the run's
      // other tasks were published), then RUNNING again.
      store.MarkPublished(run, runs.Of(run)->published);
      store.MarkRunning(run);
      published += requeued.size();
    }
    failpoint::CrashIf("dead.crash-before-ack");
    // Only now (published and confirmed) are the letters acked; a letter
    // whose task did not move (someone else changed it meanwhile) is kept.
    for (const DeadLetter* letter : plan.replayed) {
      const bool moved = std::any_of(requeued.begin(), requeued.end(), [&](const PlannedTask& t) {
        return t.id == *letter->task_id;
      });
      if (!moved) continue;
      reader.Ack(letter->tag);
      ++replayed;
    }
    for (const DeadLetter* letter : plan.dropped) reader.Ack(letter->tag);
  }
  note << replayed << " dead letters replayed (" << published << " tasks requeued and published), "
       << dropped << " dropped, " << kept + (replay - replayed) << " kept"
       << (others > 0 ? ", " + std::to_string(others) + " of other runs left" : "") << "; "
       << reader.queue() << " held " << ready << "\n";
  return kExitOk;
}

}  // namespace dcp::cli
