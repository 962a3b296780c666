using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Strata.ApiServer.Storage;

/// <summary>
/// <see cref="IObjectStore"/> on SQLite in WAL mode: table <c>kv</c> holds the current objects, table <c>log</c>
/// every change with its revision (the watch history, until compacted), table <c>meta</c> the revision counters.
/// Writes are serialized (SQLite has one writer) and each is one transaction, committed before it is acknowledged
/// or published, so an acknowledged write survives <c>kill -9</c>: WAL with synchronous=NORMAL loses nothing when
/// only the process dies, since the WAL is in the kernel's page cache (https://sqlite.org/wal.html#durability);
/// pass <c>durable: true</c> for synchronous=FULL if power loss matters too.
/// </summary>
public sealed class SqliteObjectStore : IObjectStore
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly object _writeLock = new();
    private readonly WatchHub _hub = new();
    private long _revision;
    private long _compacted;

    private SqliteObjectStore(string connectionString, SqliteConnection writer)
    {
        _connectionString = connectionString;
        _writer = writer;
    }

    public string Path { get; private init; } = "";

    public long Revision => Interlocked.Read(ref _revision);

    public long CompactedRevision => Interlocked.Read(ref _compacted);

    public int WatcherCount => _hub.Count;

    public static SqliteObjectStore Open(string path, bool durable = false)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var writer = new SqliteConnection(connectionString);
        writer.Open();
        Execute(writer, "PRAGMA journal_mode=WAL;");
        Execute(writer, durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
        Execute(writer, "PRAGMA busy_timeout=30000;");
        Execute(writer, """
            CREATE TABLE IF NOT EXISTS kv(
              key TEXT PRIMARY KEY, value TEXT NOT NULL, create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS log(
              revision INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT NULL, value TEXT NOT NULL, prev TEXT);
            CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO meta(name, value) VALUES ('revision', 0), ('compacted', 0);
            """);

        var store = new SqliteObjectStore(connectionString, writer) { Path = path };
        store._revision = ReadMeta(writer, "revision");
        store._compacted = ReadMeta(writer, "compacted");
        return store;
    }

    public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value, create_revision, mod_revision FROM kv WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadObject(key, reader) : null);
    }

    public Task<ListPage> ListAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default)
    {
        using var connection = OpenReader();
        using var transaction = connection.BeginTransaction(deferred: true);
        var revision = ReadMeta(connection, "revision", transaction);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT key, value, create_revision, mod_revision FROM kv
            WHERE key >= $from AND key < $end AND key > $after ORDER BY key LIMIT $limit
            """;
        command.Parameters.AddWithValue("$from", prefix);
        command.Parameters.AddWithValue("$end", PrefixEnd(prefix));
        command.Parameters.AddWithValue("$after", afterKey ?? "");
        command.Parameters.AddWithValue("$limit", limit > 0 ? limit + 1 : -1);
        var items = new List<StoredObject>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                items.Add(new StoredObject(reader.GetString(0), Parse(reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        var more = limit > 0 && items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return Task.FromResult(new ListPage(items, revision, more));
    }

    public Task<StoredObject> CreateAsync(string key, JsonObject value, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(key, current =>
        {
            if (current is not null)
            {
                throw new KeyExistsException(key);
            }

            return value;
        }));

    public Task<StoredObject> UpdateAsync(string key, JsonObject value, long? expectedRevision, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(key, current =>
        {
            if (current is null)
            {
                throw new KeyNotFoundInStoreException(key);
            }

            if (expectedRevision is { } expected && expected != current.ModRevision)
            {
                throw new RevisionConflictException(key, expected, current.ModRevision);
            }

            return value;
        }));

    public Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(key, current =>
        {
            if (current is null)
            {
                throw new KeyNotFoundInStoreException(key);
            }

            if (expectedRevision is { } expected && expected != current.ModRevision)
            {
                throw new RevisionConflictException(key, expected, current.ModRevision);
            }

            return null;
        }));

    public IWatchSubscription Watch(string prefix, long afterRevision)
    {
        lock (_writeLock)
        {
            if (afterRevision < _compacted)
            {
                throw new RevisionCompactedException(afterRevision, _compacted);
            }

            var backlog = new List<StoreEvent>();
            if (afterRevision < _revision)
            {
                using var command = _writer.CreateCommand();
                command.CommandText = """
                    SELECT revision, key, type, value, prev FROM log
                    WHERE revision > $after AND key >= $from AND key < $end ORDER BY revision
                    """;
                command.Parameters.AddWithValue("$after", afterRevision);
                command.Parameters.AddWithValue("$from", prefix);
                command.Parameters.AddWithValue("$end", PrefixEnd(prefix));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    backlog.Add(ReadEvent(reader));
                }
            }

            return _hub.Subscribe(prefix, backlog);
        }
    }

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            revision = Math.Min(revision, _revision);
            if (revision <= _compacted)
            {
                return Task.CompletedTask;
            }

            using var transaction = _writer.BeginTransaction();
            using (var command = _writer.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = "DELETE FROM log WHERE revision <= $revision; UPDATE meta SET value = $revision WHERE name = 'compacted';";
                command.Parameters.AddWithValue("$revision", revision);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            Interlocked.Exchange(ref _compacted, revision);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            _hub.CloseAll();
            _writer.Dispose();
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        return ValueTask.CompletedTask;
    }

    /// <summary>One write transaction: <paramref name="decide"/> sees the current object and returns the new value, or null to delete.</summary>
    private StoredObject Write(string key, Func<StoredObject?, JsonObject?> decide)
    {
        lock (_writeLock)
        {
            using var transaction = _writer.BeginTransaction();
            StoredObject? current;
            using (var select = _writer.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = "SELECT value, create_revision, mod_revision FROM kv WHERE key = $key";
                select.Parameters.AddWithValue("$key", key);
                using var reader = select.ExecuteReader();
                current = reader.Read() ? ReadObject(key, reader) : null;
            }

            var next = decide(current);
            var revision = _revision + 1;
            StoredObject result;
            StoreEvent change;
            if (next is null)
            {
                var last = current!.Value.DeepClone().AsObject();
                SetResourceVersion(last, revision);
                Run(transaction, "DELETE FROM kv WHERE key = $key", ("$key", key));
                Run(transaction, "INSERT INTO log(revision, key, type, value, prev) VALUES ($rev, $key, $type, $value, $prev)",
                    ("$rev", revision), ("$key", key), ("$type", (int)WatchEventType.Deleted), ("$value", last.ToJsonString()),
                    ("$prev", current.Value.ToJsonString()));
                result = new StoredObject(key, last, current.CreateRevision, revision);
                change = new StoreEvent(WatchEventType.Deleted, key, last, revision, current.Value);
            }
            else
            {
                var stored = next.DeepClone().AsObject();
                SetResourceVersion(stored, revision);
                var json = stored.ToJsonString();
                var createRevision = current?.CreateRevision ?? revision;
                Run(transaction, """
                    INSERT INTO kv(key, value, create_revision, mod_revision) VALUES ($key, $value, $create, $rev)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision
                    """, ("$key", key), ("$value", json), ("$create", createRevision), ("$rev", revision));
                var type = current is null ? WatchEventType.Added : WatchEventType.Modified;
                Run(transaction, "INSERT INTO log(revision, key, type, value, prev) VALUES ($rev, $key, $type, $value, $prev)",
                    ("$rev", revision), ("$key", key), ("$type", (int)type), ("$value", json),
                    ("$prev", (object?)current?.Value.ToJsonString() ?? DBNull.Value));
                result = new StoredObject(key, stored, createRevision, revision);
                change = new StoreEvent(type, key, stored, revision, current?.Value);
            }

            Run(transaction, "UPDATE meta SET value = $rev WHERE name = 'revision'", ("$rev", revision));
            transaction.Commit();
            Interlocked.Exchange(ref _revision, revision);
            // Watchers share the event and only read it; cloning builds every node eagerly, so no lazy
            // initialization inside JsonObject runs on several watcher threads at once.
            _hub.Publish(change with { Value = change.Value.DeepClone().AsObject(), Previous = change.Previous?.DeepClone().AsObject() });
            return result with { Value = result.Value.DeepClone().AsObject() };
        }
    }

    private void Run(SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static StoredObject ReadObject(string key, SqliteDataReader reader) =>
        new(key, Parse(reader.GetString(0)), reader.GetInt64(1), reader.GetInt64(2));

    private static StoreEvent ReadEvent(SqliteDataReader reader)
    {
        var revision = reader.GetInt64(0);
        var key = reader.GetString(1);
        var type = (WatchEventType)reader.GetInt32(2);
        return new StoreEvent(type, key, Parse(reader.GetString(3)), revision, reader.IsDBNull(4) ? null : Parse(reader.GetString(4)));
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static void SetResourceVersion(JsonObject value, long revision)
    {
        if (value["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            value["metadata"] = metadata;
        }

        metadata["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string PrefixEnd(string prefix) => prefix + '\uffff';

    private static long ReadMeta(SqliteConnection connection, string name, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return (long)(command.ExecuteScalar() ?? 0L);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
