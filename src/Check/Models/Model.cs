namespace FaultTolerant.Check;

/// <summary>
/// A sequential specification: what each operation does to the state of one key, and which results are
/// legal. A model also says how a history splits into independent keys.
/// </summary>
public abstract class Model
{
    private protected Model()
    {
    }

    /// <summary>Per-key registers: read, write, cas, incr; a key starts out not existing.</summary>
    public static Model Register { get; } = new RegisterModel();

    /// <summary>One register with read, write and cas, exactly as Porcupine checks Jepsen's etcd logs.</summary>
    public static Model Etcd { get; } = new EtcdModel();

    /// <summary>Per-key strings: get, put, append; every key starts as the empty string.</summary>
    public static Model Kv { get; } = new KvModel();

    public static IReadOnlyList<Model> All { get; } = [Register, Etcd, Kv];

    /// <summary>The model's name, as the command line spells it.</summary>
    public abstract string Name { get; }

    /// <summary>The model that fits a format when none is named: etcd logs → etcd, EDN → kv, ours → register.</summary>
    public static Model For(HistoryFormat format) => format switch
    {
        HistoryFormat.EtcdLog => Etcd,
        HistoryFormat.KvEdn => Kv,
        _ => Register,
    };

    /// <summary>The model with this name (case-insensitive).</summary>
    /// <exception cref="UnknownModelException">No model has this name.</exception>
    public static Model FromName(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UnknownModelException(name, All.Select(m => m.Name));

    public override string ToString() => Name;

    /// <exception cref="ModelMismatchException">The model has no such operation, or its arguments are missing or malformed.</exception>
    internal abstract void Validate(Operation op, string source);

    /// <summary>The independent part of the state this operation touches.</summary>
    internal virtual string? PartitionKey(Operation op) => op.Key;

    /// <summary>
    /// False for operations that can neither change the state nor be wrong while open (an unanswered read):
    /// the search leaves them out, since they can always be placed.
    /// </summary>
    internal virtual bool Constrains(Operation op) => !(op.IsOpen && op.F is "read" or "get");

    /// <summary>
    /// The open operations of <paramref name="ops"/> whose effect none of the others could see: no value they
    /// read, compared or contain could come from it, and none of their failures could be explained by it.
    /// Whether such an operation took effect makes no difference to any other, so a shrink may drop it
    /// without changing the verdict. The default sees everything.
    /// </summary>
    internal virtual IReadOnlyList<Operation> Unseen(IReadOnlyList<Operation> ops) => [];

    /// <summary>A state machine for one key's operations; operation i of the list is step index i.</summary>
    internal abstract KeyMachine Compile(IReadOnlyList<Operation> ops);

    private protected ModelMismatchException Mismatch(Operation op, string source, string problem) =>
        new(source, op.Line, Name, $"{problem} ({op})");
}
