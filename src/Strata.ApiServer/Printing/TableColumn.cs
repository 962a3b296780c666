namespace Strata.ApiServer.Printing;

/// <summary>
/// One <c>meta.k8s.io/v1</c> <c>TableColumnDefinition</c>. Columns with <paramref name="Priority"/> &gt; 0 are the
/// ones kubectl shows only with <c>-o wide</c>.
/// </summary>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority);

/// <summary>
/// One <c>meta.k8s.io/v1</c> <c>TableRowCondition</c>. Upstream sets one only on pods that have completed
/// (<c>Completed</c>, reason <c>Succeeded</c> or <c>Failed</c>).
/// </summary>
public sealed record TableRowCondition(string Type, string Status, string Reason, string Message);
