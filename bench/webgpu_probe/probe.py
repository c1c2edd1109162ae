import time, torch, torch.nn.functional as F
d = torch.device("cuda"); print("torch", torch.__version__, torch.cuda.get_device_name(0))
def tm(name, f, reps=20):
    for _ in range(3): f()
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(reps): r = f()
    torch.cuda.synchronize(); print(f"RESULT cuda {name} {(time.perf_counter()-t)/reps*1000:.3f} ms")
a = torch.randn(1024, 1024, device=d); b = torch.randn(1024, 1024, device=d)
tm("matmul1024", lambda: a @ b)
for n, c, h, o, k in [(4,3,32,6,5),(64,3,32,6,5),(64,6,14,16,5),(1,64,16,64,3),(32,64,56,64,3)]:
    x = torch.randn(n, c, h, h, device=d, requires_grad=True); w = torch.randn(o, c, k, k, device=d, requires_grad=True)
    tm(f"conv_fwd_{n}x{c}x{h}->{o}k{k}", lambda: F.conv2d(x, w))
    y = F.conv2d(x, w); g = torch.randn_like(y)
    tm(f"conv_bwd_both_{n}x{c}x{h}->{o}k{k}", lambda: torch.autograd.grad(y, (x, w), g, retain_graph=True))
tm("add_small", lambda: torch.tensor(1., device=d) + 2, 200)
