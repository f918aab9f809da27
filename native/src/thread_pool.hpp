// One pool of threads per process, one per core, made at the first use. parallelFor
// hands out the chunks of a job to every pool thread and to the caller (which is never a
// pool thread: the addon calls it from Node's worker threads), so jobs from two callers
// at once share the pool instead of deadlocking on it.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace zk {

class ThreadPool {
 public:
  static ThreadPool& get() {
    // Never destroyed: joining at exit could wait on a proof still running.
    static ThreadPool* pool = new ThreadPool(std::max(1u, std::thread::hardware_concurrency()));
    return *pool;
  }

  size_t size() const { return threads_.size(); }

  // fn(chunk) for chunk in [0, nChunks), on every thread; returns when all are done.
  void run(size_t nChunks, const std::function<void(size_t)>& fn) {
    if (nChunks == 0) return;
    if (nChunks == 1) {
      fn(0);
      return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = nChunks;
    {
      std::lock_guard<std::mutex> l(m_);
      jobs_.push_back(job);
    }
    cv_.notify_all();
    work(*job);
    std::unique_lock<std::mutex> l(job->m);
    job->cv.wait(l, [&] { return job->done == job->n; });
  }

  // fn(begin, end) over [0, n) split into about 4 chunks per thread (none below minChunk).
  void parallelFor(size_t n, const std::function<void(size_t, size_t)>& fn,
                   size_t minChunk = 1024) {
    if (n == 0) return;
    size_t chunks = std::min(size() * 4, std::max<size_t>(1, n / std::max<size_t>(1, minChunk)));
    size_t per = (n + chunks - 1) / chunks;
    chunks = (n + per - 1) / per;
    run(chunks, [&](size_t c) { fn(c * per, std::min(n, (c + 1) * per)); });
  }

 private:
  struct Job {
    const std::function<void(size_t)>* fn = nullptr;
    size_t n = 0;
    std::atomic<size_t> next{0};
    size_t done = 0;
    std::mutex m;
    std::condition_variable cv;
  };

  explicit ThreadPool(unsigned n) {
    for (unsigned i = 0; i < n; i++) threads_.emplace_back([this] { loop(); });
  }

  // Takes chunks of the job until none is left; signals the caller after the last one.
  static void work(Job& job) {
    for (;;) {
      size_t c = job.next.fetch_add(1);
      if (c >= job.n) return;
      (*job.fn)(c);
      std::lock_guard<std::mutex> l(job.m);
      if (++job.done == job.n) job.cv.notify_all();
    }
  }

  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return !jobs_.empty(); });
        job = jobs_.front();
        if (job->next.load() >= job->n) {
          jobs_.pop_front();
          continue;
        }
      }
      work(*job);
    }
  }

  std::vector<std::thread> threads_;
  std::deque<std::shared_ptr<Job>> jobs_;
  std::mutex m_;
  std::condition_variable cv_;
};

}  // namespace zk
