namespace Strata.ApiServer.Printing;

/// <summary>Shorthands for the column definitions the printers share.</summary>
internal static class Col
{
    public static readonly TableColumn Name = new("Name", "string", "name", SwaggerDocs.ObjectMetaName, 0);

    public static readonly TableColumn Age = new("Age", "string", "", SwaggerDocs.ObjectMetaCreationTimestamp, 0);

    public static TableColumn String(string name, string description, int priority = 0) =>
        new(name, "string", "", description, priority);

    public static TableColumn Integer(string name, string description, int priority = 0) =>
        new(name, "integer", "", description, priority);

    public static readonly TableColumn Containers = String("Containers", "Names of each container in the template.", 1);

    public static readonly TableColumn Images = String("Images", "Images referenced by each container in the template.", 1);
}
