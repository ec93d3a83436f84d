namespace Broadsheet.Delivery;

/// <summary>Wakes this node's send engine at once when an edition starts, resumes or gets failed recipients back.</summary>
public sealed class DeliverySignal : Site.WakeSignal;
