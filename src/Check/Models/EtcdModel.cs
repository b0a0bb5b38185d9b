namespace FaultTolerant.Check;

/// <summary>Jepsen's etcd test as Porcupine checks it: one register, read/write/cas, keys ignored.</summary>
internal sealed class EtcdModel : RegisterModel
{
    public override string Name => "etcd";

    private protected override bool HasIncr => false;

    internal override string? PartitionKey(Operation op) => null;
}
