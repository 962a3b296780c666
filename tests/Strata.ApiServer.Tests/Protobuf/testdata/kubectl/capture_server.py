import http.server, json, sys, os, itertools
# usage: capture_server.py PORT REQUEST_LOG_DIR [PATH,FILE,CONTENT_TYPE ...]
# Answers discovery, serves the given files at their paths (GET, and POST replies), and
# otherwise echoes every POST back; binds 127.0.0.1 only.
OUT = sys.argv[2]
os.makedirs(OUT, exist_ok=True)
counter = itertools.count()
def res(name, kind, namespaced=True, verbs=("create","get","list","patch","update","delete"), sub=()):
    r=[{"name":name,"singularName":kind.lower(),"namespaced":namespaced,"kind":kind,"verbs":list(verbs)}]
    for s,k in sub:
        r.append({"name":name+"/"+s,"singularName":"","namespaced":namespaced,"kind":k,"verbs":["get","patch","update"], **({"group":"autoscaling","version":"v1"} if k=="Scale" else {})})
    return r
GROUPS = {
 "/api/v1": res("namespaces","Namespace",False)+res("configmaps","ConfigMap")+res("secrets","Secret")+res("services","Service")+res("pods","Pod")+res("serviceaccounts","ServiceAccount")+res("resourcequotas","ResourceQuota")+res("endpoints","Endpoints")+res("replicationcontrollers","ReplicationController",sub=[("scale","Scale")]),
 "/apis/apps/v1": res("deployments","Deployment",sub=[("scale","Scale"),("status","Deployment")])+res("replicasets","ReplicaSet",sub=[("scale","Scale")])+res("statefulsets","StatefulSet",sub=[("scale","Scale")]),
 "/apis/networking.k8s.io/v1": res("ingresses","Ingress"),
 "/apis/coordination.k8s.io/v1": res("leases","Lease"),
 "/apis/discovery.k8s.io/v1": res("endpointslices","EndpointSlice"),
 "/apis/autoscaling/v1": res("horizontalpodautoscalers","HorizontalPodAutoscaler"),
 "/apis/apiextensions.k8s.io/v1": res("customresourcedefinitions","CustomResourceDefinition",False),
 "/apis/batch/v1": res("jobs","Job")+res("cronjobs","CronJob"),
 "/apis/policy/v1": res("poddisruptionbudgets","PodDisruptionBudget"),
 "/apis/rbac.authorization.k8s.io/v1": res("roles","Role")+res("rolebindings","RoleBinding")+res("clusterroles","ClusterRole",False)+res("clusterrolebindings","ClusterRoleBinding",False),
}
STORE = {}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body, ct="application/json"):
        self.send_response(code); self.send_header("Content-Type", ct); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def record(self, body):
        n = next(counter)
        os.makedirs(OUT, exist_ok=True)
        base = os.path.join(OUT, "%03d-%s" % (n, self.command))
        with open(base+".txt","w") as f:
            f.write(self.command+" "+self.path+"\n"+str(self.headers))
        if body: open(base+".bin","wb").write(body)
    def do_GET(self):
        self.record(b"")
        p = self.path.split("?")[0]
        if p == "/api":
            return self.send(200, json.dumps({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}).encode())
        if p == "/apis":
            gs=[]
            for k in GROUPS:
                if k.startswith("/apis/"):
                    g,v = k[6:].split("/")
                    gs.append({"name":g,"versions":[{"groupVersion":g+"/"+v,"version":v}],"preferredVersion":{"groupVersion":g+"/"+v,"version":v}})
            return self.send(200, json.dumps({"kind":"APIGroupList","apiVersion":"v1","groups":gs}).encode())
        if p in GROUPS:
            gv = p[5:] if p.startswith("/api/") else p[6:]
            return self.send(200, json.dumps({"kind":"APIResourceList","apiVersion":"v1","groupVersion":gv,"resources":GROUPS[p]}).encode())
        if p in STORE:
            return self.send(200, STORE[p][0], STORE[p][1])
        return self.send(404, json.dumps({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"not found"}).encode())
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n)
    def do_POST(self):
        b = self.body(); self.record(b)
        p = self.path.split("?")[0]
        if p in STORE: return self.send(201, STORE[p][0], STORE[p][1])
        self.send(201, b, self.headers.get("Content-Type"))
    do_PUT = do_POST
    def do_DELETE(self):
        b = self.body(); self.record(b)
        p = self.path.split('?')[0]
        if p in STORE: return self.send(200, STORE[p][0], STORE[p][1])
        return self.send(404, b'{}')
    def do_PATCH(self):
        b = self.body(); self.record(b)
        p = self.path.split("?")[0]
        if p in STORE: return self.send(200, STORE[p][0], STORE[p][1])
        return self.send(404, b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}')
if len(sys.argv) > 3:
    for spec in sys.argv[3:]:
        path, file, ct = spec.split(",")
        STORE[path] = (open(file,"rb").read(), ct)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
