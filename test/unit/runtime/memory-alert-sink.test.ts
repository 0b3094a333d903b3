/** The memory alert sink passes the AlertSink contract. */
import { MemoryAlertSink } from '../../../src/sinks/memory/alerts.js';
import { alertSinkContract } from '../../contract/alert-sink.js';

alertSinkContract('memory', () => {
  const sink = new MemoryAlertSink();
  return Promise.resolve({
    sink,
    readBack: () => Promise.resolve(sink.delivered),
    small: () => Promise.resolve(new MemoryAlertSink({ maxAlertBytes: 64 * 1024 })),
    close: () => sink.close(),
  });
});
