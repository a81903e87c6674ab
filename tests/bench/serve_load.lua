-- wrk script for bench_serve.sh: GET /recommend for uniformly random MovieLens-100K users.
math.randomseed(42)
request = function()
  return wrk.format("GET", "/recommend?user=" .. math.random(1, 943) .. "&k=10")
end
