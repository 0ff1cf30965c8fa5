var q=globalThis,K=q.ShadowRoot&&(q.ShadyCSS===void 0||q.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,lt=Symbol(),Rt=new WeakMap,U=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==lt)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(K&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=Rt.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&Rt.set(t,e))}return e}toString(){return this.cssText}},Lt=i=>new U(typeof i=="string"?i:i+"",void 0,lt),$=(i,...e)=>{let t=i.length===1?i[0]:e.reduce((s,r,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+i[a+1],i[0]);return new U(t,i,lt)},Nt=(i,e)=>{if(K)i.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),r=q.litNonce;r!==void 0&&s.setAttribute("nonce",r),s.textContent=t.cssText,i.appendChild(s)}},ct=K?i=>i:i=>i instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return Lt(t)})(i):i;var{is:Ee,defineProperty:Se,getOwnPropertyDescriptor:Pe,getOwnPropertyNames:Ce,getOwnPropertySymbols:ke,getPrototypeOf:Ie}=Object,G=globalThis,Ut=G.trustedTypes,Te=Ut?Ut.emptyScript:"",Me=G.reactiveElementPolyfillSupport,D=(i,e)=>i,ht={toAttribute(i,e){switch(e){case Boolean:i=i?Te:null;break;case Object:case Array:i=i==null?i:JSON.stringify(i)}return i},fromAttribute(i,e){let t=i;switch(e){case Boolean:t=i!==null;break;case Number:t=i===null?null:Number(i);break;case Object:case Array:try{t=JSON.parse(i)}catch{t=null}}return t}},Ot=(i,e)=>!Ee(i,e),Dt={attribute:!0,type:String,converter:ht,reflect:!1,useDefault:!1,hasChanged:Ot};Symbol.metadata??=Symbol("metadata"),G.litPropertyMetadata??=new WeakMap;var A=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Dt){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),r=this.getPropertyDescriptor(e,s,t);r!==void 0&&Se(this.prototype,e,r)}}static getPropertyDescriptor(e,t,s){let{get:r,set:a}=Pe(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:r,set(n){let h=r?.call(this);a?.call(this,n),this.requestUpdate(e,h,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Dt}static _$Ei(){if(this.hasOwnProperty(D("elementProperties")))return;let e=Ie(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(D("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(D("properties"))){let t=this.properties,s=[...Ce(t),...ke(t)];for(let r of s)this.createProperty(r,t[r])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,r]of t)this.elementProperties.set(s,r)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let r=this._$Eu(t,s);r!==void 0&&this._$Eh.set(r,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let r of s)t.unshift(ct(r))}else e!==void 0&&t.push(ct(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Nt(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),r=this.constructor._$Eu(e,s);if(r!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:ht).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(r):this.setAttribute(r,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,r=s._$Eh.get(e);if(r!==void 0&&this._$Em!==r){let a=s.getPropertyOptions(r),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:ht;this._$Em=r;let h=n.fromAttribute(t,a.type);this[r]=h??this._$Ej?.get(r)??h,this._$Em=null}}requestUpdate(e,t,s,r=!1,a){if(e!==void 0){let n=this.constructor;if(r===!1&&(a=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??Ot)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:r,wrapped:a},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),a!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),r===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,a]of this._$Ep)this[r]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[r,a]of s){let{wrapped:n}=a,h=this[r];n!==!0||this._$AL.has(r)||h===void 0||this.C(r,void 0,a,h)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};A.elementStyles=[],A.shadowRootOptions={mode:"open"},A[D("elementProperties")]=new Map,A[D("finalized")]=new Map,Me?.({ReactiveElement:A}),(G.reactiveElementVersions??=[]).push("2.1.2");var ut=globalThis,Ft=i=>i,Z=ut.trustedTypes,Vt=Z?Z.createPolicy("lit-html",{createHTML:i=>i}):void 0,mt="$lit$",E=`lit$${Math.random().toFixed(9).slice(2)}$`,ft="?"+E,He=`<${ft}>`,T=document,F=()=>T.createComment(""),V=i=>i===null||typeof i!="object"&&typeof i!="function",_t=Array.isArray,Kt=i=>_t(i)||typeof i?.[Symbol.iterator]=="function",pt=`[ 	
\f\r]`,O=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Wt=/-->/g,jt=/>/g,k=RegExp(`>|${pt}(?:([^\\s"'>=/]+)(${pt}*=${pt}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),zt=/'/g,Bt=/"/g,Gt=/^(?:script|style|textarea|title)$/i,gt=i=>(e,...t)=>({_$litType$:i,strings:e,values:t}),o=gt(1),vt=gt(2),je=gt(3),S=Symbol.for("lit-noChange"),c=Symbol.for("lit-nothing"),qt=new WeakMap,I=T.createTreeWalker(T,129);function Zt(i,e){if(!_t(i)||!i.hasOwnProperty("raw"))throw Error("invalid template strings array");return Vt!==void 0?Vt.createHTML(e):e}var Yt=(i,e)=>{let t=i.length-1,s=[],r,a=e===2?"<svg>":e===3?"<math>":"",n=O;for(let h=0;h<t;h++){let d=i[h],p,_,l=-1,u=0;for(;u<d.length&&(n.lastIndex=u,_=n.exec(d),_!==null);)u=n.lastIndex,n===O?_[1]==="!--"?n=Wt:_[1]!==void 0?n=jt:_[2]!==void 0?(Gt.test(_[2])&&(r=RegExp("</"+_[2],"g")),n=k):_[3]!==void 0&&(n=k):n===k?_[0]===">"?(n=r??O,l=-1):_[1]===void 0?l=-2:(l=n.lastIndex-_[2].length,p=_[1],n=_[3]===void 0?k:_[3]==='"'?Bt:zt):n===Bt||n===zt?n=k:n===Wt||n===jt?n=O:(n=k,r=void 0);let m=n===k&&i[h+1].startsWith("/>")?" ":"";a+=n===O?d+He:l>=0?(s.push(p),d.slice(0,l)+mt+d.slice(l)+E+m):d+E+(l===-2?h:m)}return[Zt(i,a+(i[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},W=class i{constructor({strings:e,_$litType$:t},s){let r;this.parts=[];let a=0,n=0,h=e.length-1,d=this.parts,[p,_]=Yt(e,t);if(this.el=i.createElement(p,s),I.currentNode=this.el.content,t===2||t===3){let l=this.el.content.firstChild;l.replaceWith(...l.childNodes)}for(;(r=I.nextNode())!==null&&d.length<h;){if(r.nodeType===1){if(r.hasAttributes())for(let l of r.getAttributeNames())if(l.endsWith(mt)){let u=_[n++],m=r.getAttribute(l).split(E),g=/([.?@])?(.*)/.exec(u);d.push({type:1,index:a,name:g[2],strings:m,ctor:g[1]==="."?J:g[1]==="?"?Q:g[1]==="@"?X:H}),r.removeAttribute(l)}else l.startsWith(E)&&(d.push({type:6,index:a}),r.removeAttribute(l));if(Gt.test(r.tagName)){let l=r.textContent.split(E),u=l.length-1;if(u>0){r.textContent=Z?Z.emptyScript:"";for(let m=0;m<u;m++)r.append(l[m],F()),I.nextNode(),d.push({type:2,index:++a});r.append(l[u],F())}}}else if(r.nodeType===8)if(r.data===ft)d.push({type:2,index:a});else{let l=-1;for(;(l=r.data.indexOf(E,l+1))!==-1;)d.push({type:7,index:a}),l+=E.length-1}a++}}static createElement(e,t){let s=T.createElement("template");return s.innerHTML=e,s}};function M(i,e,t=i,s){if(e===S)return e;let r=s!==void 0?t._$Co?.[s]:t._$Cl,a=V(e)?void 0:e._$litDirective$;return r?.constructor!==a&&(r?._$AO?.(!1),a===void 0?r=void 0:(r=new a(i),r._$AT(i,t,s)),s!==void 0?(t._$Co??=[])[s]=r:t._$Cl=r),r!==void 0&&(e=M(i,r._$AS(i,e.values),r,s)),e}var Y=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,r=(e?.creationScope??T).importNode(t,!0);I.currentNode=r;let a=I.nextNode(),n=0,h=0,d=s[0];for(;d!==void 0;){if(n===d.index){let p;d.type===2?p=new L(a,a.nextSibling,this,e):d.type===1?p=new d.ctor(a,d.name,d.strings,this,e):d.type===6&&(p=new tt(a,this,e)),this._$AV.push(p),d=s[++h]}n!==d?.index&&(a=I.nextNode(),n++)}return I.currentNode=T,r}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},L=class i{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,r){this.type=2,this._$AH=c,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=M(this,e,t),V(e)?e===c||e==null||e===""?(this._$AH!==c&&this._$AR(),this._$AH=c):e!==this._$AH&&e!==S&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Kt(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==c&&V(this._$AH)?this._$AA.nextSibling.data=e:this.T(T.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,r=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=W.createElement(Zt(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===r)this._$AH.p(t);else{let a=new Y(r,this),n=a.u(this.options);a.p(t),this.T(n),this._$AH=a}}_$AC(e){let t=qt.get(e.strings);return t===void 0&&qt.set(e.strings,t=new W(e)),t}k(e){_t(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,r=0;for(let a of e)r===t.length?t.push(s=new i(this.O(F()),this.O(F()),this,this.options)):s=t[r],s._$AI(a),r++;r<t.length&&(this._$AR(s&&s._$AB.nextSibling,r),t.length=r)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Ft(e).nextSibling;Ft(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},H=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,r,a){this.type=1,this._$AH=c,this._$AN=void 0,this.element=e,this.name=t,this._$AM=r,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=c}_$AI(e,t=this,s,r){let a=this.strings,n=!1;if(a===void 0)e=M(this,e,t,0),n=!V(e)||e!==this._$AH&&e!==S,n&&(this._$AH=e);else{let h=e,d,p;for(e=a[0],d=0;d<a.length-1;d++)p=M(this,h[s+d],t,d),p===S&&(p=this._$AH[d]),n||=!V(p)||p!==this._$AH[d],p===c?e=c:e!==c&&(e+=(p??"")+a[d+1]),this._$AH[d]=p}n&&!r&&this.j(e)}j(e){e===c?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},J=class extends H{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===c?void 0:e}},Q=class extends H{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==c)}},X=class extends H{constructor(e,t,s,r,a){super(e,t,s,r,a),this.type=5}_$AI(e,t=this){if((e=M(this,e,t,0)??c)===S)return;let s=this._$AH,r=e===c&&s!==c||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==c&&(s===c||r);r&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},tt=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){M(this,e)}},Jt={M:mt,P:E,A:ft,C:1,L:Yt,R:Y,D:Kt,V:M,I:L,H,N:Q,U:X,B:J,F:tt},Re=ut.litHtmlPolyfillSupport;Re?.(W,L),(ut.litHtmlVersions??=[]).push("3.3.3");var Qt=(i,e,t)=>{let s=t?.renderBefore??e,r=s._$litPart$;if(r===void 0){let a=t?.renderBefore??null;s._$litPart$=r=new L(e.insertBefore(F(),a),a,void 0,t??{})}return r._$AI(i),r};var $t=globalThis,v=class extends A{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Qt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return S}};v._$litElement$=!0,v.finalized=!0,$t.litElementHydrateSupport?.({LitElement:v});var Le=$t.litElementPolyfillSupport;Le?.({LitElement:v});($t.litElementVersions??=[]).push("4.2.2");function yt(i){let e={};for(let[t,s]of Object.entries(i))s===void 0||s===""||(t==="store_id"?e.store_ids=[s]:e[t]=s);return e}function Xt(i){return i.connection.sendMessagePromise({type:"smartshop/stores"})}function et(i,e,t){return i.connection.sendMessagePromise({type:"smartshop/incidents/list",limit:25,...yt(e),...t?{cursor:t}:{}})}function te(i,e){return i.connection.sendMessagePromise({type:"smartshop/incidents/get",incident_id:e})}async function ee(i,e,t,s){return(await i.connection.sendMessagePromise({type:"smartshop/incidents/review",incident_id:e,decision:t,...s?{reason:s}:{}})).incident}function st(i,e){return i.connection.sendMessagePromise({type:"smartshop/trends",...yt(e)})}async function se(i,e){return(await i.connection.sendMessagePromise({type:"smartshop/watchlist/list",...yt({store_id:e})})).people}async function ie(i,e,t){await i.connection.sendMessagePromise({type:"smartshop/watchlist/update",person_id:e,...t})}function re(i,e){return i.connection.sendMessagePromise({type:"smartshop/watchlist/remove",person_id:e})}function ae(i,e){return i.connection.subscribeMessage(e,{type:"smartshop/subscribe_matches"})}function y(i){return i&&typeof i=="object"&&"message"in i?String(i.message):String(i)}function ne(i){return i?.locale?.language??i?.language??"en"}function oe(i){return i?.config?.time_zone||void 0}function j(i,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(ne(i),{dateStyle:"medium",timeStyle:"short",timeZone:oe(i)}).format(t)}function z(i,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(ne(i),{dateStyle:"medium",timeZone:oe(i)}).format(t)}function it(i){return`${i.toFixed(1)}%`}function bt(i){return i==null?"—":i<90?`${Math.round(i)} s`:i<5400?`${Math.round(i/60)} min`:i<36*3600?`${(i/3600).toFixed(1)} h`:`${(i/86400).toFixed(1)} d`}var de=["Mon","Tue","Wed","Thu","Fri","Sat","Sun"];function R(i){return{pending:"Waiting for review",confirmed:"Confirmed",confirm:"Confirmed",dismissed:"Not them",dismiss:"Not them"}[i]??i}function xt(i){let e=new Date(i),t=s=>String(s).padStart(2,"0");return`${e.getFullYear()}-${t(e.getMonth()+1)}-${t(e.getDate())}`}var x=$`
  :host {
    display: block;
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
  }
  .card {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: var(--ha-card-border-radius, 12px);
    padding: 16px;
    box-sizing: border-box;
    min-width: 0;
  }
  h2 {
    font-size: 1.1rem;
    font-weight: 500;
    margin: 0 0 12px;
  }
  h3 {
    font-size: 1rem;
    font-weight: 500;
    margin: 0 0 8px;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: 8px;
    padding: 8px 14px;
    border: 1px solid var(--divider-color, #e0e0e0);
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    min-height: 36px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.danger {
    color: var(--error-color, #db4437);
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--primary-text-color, #212121);
    background: var(--secondary-background-color, #fafafa);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: 6px;
    padding: 6px 8px;
    box-sizing: border-box;
    max-width: 100%;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--secondary-text-color, #727272);
  }
  .photos {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 8px;
  }
  figure {
    margin: 0;
    min-width: 0;
  }
  figure img,
  figure .nophoto {
    width: 100%;
    aspect-ratio: 1;
    object-fit: cover;
    border-radius: 8px;
    background: var(--secondary-background-color, #f0f0f0);
    display: block;
  }
  figure .nophoto {
    display: flex;
    align-items: center;
    justify-content: center;
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
  }
  figcaption {
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
    margin-top: 4px;
  }
  .chip {
    display: inline-block;
    font-size: 0.75rem;
    padding: 2px 8px;
    border-radius: 10px;
    background: var(--secondary-background-color, #eee);
    color: var(--primary-text-color, #212121);
    white-space: nowrap;
  }
  .chip.pending {
    background: var(--warning-color, #ffa600);
    color: #000;
  }
  .chip.confirmed {
    background: var(--error-color, #db4437);
    color: #fff;
  }
  .chip.dismissed {
    background: var(--success-color, #43a047);
    color: #fff;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-top: 12px;
  }
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 2px 12px;
    margin: 8px 0 0;
    font-size: 0.9rem;
  }
  dt {
    color: var(--secondary-text-color, #727272);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  th {
    font-weight: 500;
    color: var(--secondary-text-color, #727272);
  }
  .scroll {
    overflow-x: auto;
  }
`;function w(i,e){customElements.get(i)||customElements.define(i,e)}function B(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store_name,watchlist:i.watchlist,category:i.category,seen_at:i.occurred_at,review_status:i.review_status,review_reason:i.review_reason}}function le(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store,watchlist:i.watchlist,category:i.category,seen_at:i.seen_at,review_status:"pending",review_reason:null}}function rt(i,e){return o`<figure>
    ${i?o`<img src=${i} alt=${e} loading="lazy" />`:o`<div class="nophoto">No photo kept</div>`}
    <figcaption>${e}</figcaption>
  </figure>`}var wt=class extends v{static{this.properties={hass:{attribute:!1},match:{attribute:!1},_asking:{state:!0},_reason:{state:!0},_busy:{state:!0},_error:{state:!0}}}constructor(){super(),this._asking=!1,this._reason="",this._busy=!1,this._error=""}static{this.styles=[x,$`
      .card {
        display: flex;
        flex-direction: column;
        gap: 8px;
        height: 100%;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
      }
      .similarity {
        font-size: 1.4rem;
        font-weight: 500;
      }
      textarea {
        width: 100%;
        min-height: 60px;
      }
    `]}willUpdate(e){e.has("match")&&e.get("match")?.incident_id!==this.match.incident_id&&(this._asking=!1,this._reason="",this._error="")}async _review(e){this._busy=!0,this._error="";try{let t=await ee(this.hass,this.match.incident_id,e,e==="dismiss"?this._reason.trim():void 0);this._asking=!1,this.dispatchEvent(new CustomEvent("reviewed",{detail:t,bubbles:!0,composed:!0}))}catch(t){this._error=y(t)}finally{this._busy=!1}}_buttons(){return this.match.review_status!=="pending"?o`<div>
        <span class="chip ${this.match.review_status}">${R(this.match.review_status)}</span>
        ${this.match.review_reason?o`<span class="muted">${this.match.review_reason}</span>`:c}
      </div>`:this._asking?o`<label
          >Why is it not them?
          <textarea
            name="reason"
            .value=${this._reason}
            @input=${e=>{this._reason=e.target.value}}
          ></textarea>
        </label>
        <div class="actions">
          <button
            class="primary"
            ?disabled=${this._busy||!this._reason.trim()}
            @click=${()=>this._review("dismiss")}
          >
            Dismiss: not them
          </button>
          <button ?disabled=${this._busy} @click=${()=>this._asking=!1}>Cancel</button>
        </div>`:o`<div class="actions">
      <button class="primary" ?disabled=${this._busy} @click=${()=>this._review("confirm")}>
        Confirm
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._asking=!0}>Not them</button>
    </div>`}render(){let e=this.match;return o`<div class="card" data-incident=${e.incident_id}>
      <div class="head">
        <span class="similarity">${it(e.similarity)}</span>
        <span class="chip">${e.category}</span>
      </div>
      <div class="photos">
        ${rt(e.snapshot_url,"At the door")} ${rt(e.reference_url,"Watchlist photo")}
      </div>
      <dl>
        <dt>Camera</dt>
        <dd>${e.camera}</dd>
        <dt>Location</dt>
        <dd>${e.location||"—"}</dd>
        <dt>Store</dt>
        <dd>${e.store_name}</dd>
        <dt>Watchlist</dt>
        <dd>${e.watchlist}</dd>
        <dt>Seen</dt>
        <dd>${j(this.hass,e.seen_at)}</dd>
      </dl>
      ${this._buttons()} ${this._error?o`<div class="error">${this._error}</div>`:c}
    </div>`}};w("smartshop-match-card",wt);var St=["theft","banned","violence","other"];function At(i){return typeof i=="string"&&i?i:null}function ce(i){let e=i.review_history.map(s=>({decision:R(At(s.details.decision)??At(s.details.status)??"reviewed"),at:s.at,actor:s.actor,reason:At(s.details.reason)})),t=i.incident;return e.length===0&&t.review_status!=="pending"&&t.reviewed_at&&e.push({decision:R(t.review_status),at:t.reviewed_at,actor:t.reviewed_by??"",reason:t.review_reason}),e}var Et=class extends v{constructor(){super();this._loadedFor=null;this._request=0;this._filters={},this._rows=[],this._cursors=[null],this._next=null,this._loading=!1,this._error="",this._detail=null,this._cameras=[],this.stores=[]}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},_filters:{state:!0},_rows:{state:!0},_cursors:{state:!0},_next:{state:!0},_loading:{state:!0},_error:{state:!0},_detail:{state:!0},_cameras:{state:!0}}}static{this.styles=[x,$`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
        margin-bottom: 12px;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--secondary-background-color, #f5f5f5);
      }
      .pager {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 12px;
      }
      .detail {
        margin-top: 16px;
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 16px;
      }
      .detail .photos {
        max-width: 480px;
      }
      .history {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .history li {
        padding: 6px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
      }
      .hide-narrow {
        display: table-cell;
      }
      @media (max-width: 600px) {
        .detail {
          grid-template-columns: 1fr;
        }
        .hide-narrow {
          display: none;
        }
        .filters {
          grid-template-columns: 1fr 1fr;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._detail=null,this._load(null,[null]),this._loadChoices(s))}}_query(){return{...this._filters,store_id:this.storeId??void 0}}async _loadChoices(t){try{let s=await st(this.hass,{store_id:t});this._loadedFor===t&&(this._cameras=s.outcomes.camera??[])}catch{}}async _load(t,s){let r=++this._request;this._loading=!0,this._error="";try{let a=await et(this.hass,this._query(),t);if(r!==this._request)return;this._rows=a.incidents,this._next=a.next_cursor,this._cursors=s}catch(a){r===this._request&&(this._error=y(a))}finally{r===this._request&&(this._loading=!1)}}_setFilter(t,s){let r={...this._filters};if(t==="start"||t==="end")if(s){let a=new Date(`${s}T00:00:00`);t==="end"&&a.setDate(a.getDate()+1),r[t]=a.toISOString()}else delete r[t];else s?r[t]=s:delete r[t];this._filters=r,this._detail=null,this._load(null,[null])}async _open(t){this._error="";try{this._detail=await te(this.hass,t.incident_id),await this.updateComplete,this.renderRoot.querySelector(".detail")?.scrollIntoView({block:"nearest"})}catch(s){this._error=y(s)}}async _reviewed(t){let s=t.detail;this._rows=this._rows.map(r=>r.incident_id===s.incident_id?{...r,...s}:r),await this._open(s)}_select(t,s,r){return o`<label
      >${s}
      <select
        name=${t}
        @change=${a=>this._setFilter(t,a.target.value)}
      >
        <option value="" ?selected=${!this._filters[t]}>All</option>
        ${r.map(a=>o`<option value=${a.value} ?selected=${this._filters[t]===a.value}>
              ${a.label}
            </option>`)}
      </select>
    </label>`}_filtersBar(){let t=["pending","confirmed","dismissed"];return o`<div class="filters">
      ${this._select("camera","Camera",this._cameras.map(s=>({value:s.key,label:s.label})))}
      ${this._select("watchlist_id","Watchlist",this.stores.filter(s=>!this.storeId||s.store_id===this.storeId).flatMap(s=>s.watchlists.map(r=>({value:r.watchlist_id,label:this.storeId?r.name:`${r.name} (${s.name})`}))))}
      ${this._select("category","Category",St.map(s=>({value:s,label:s})))}
      ${this._select("review_status","Review",t.map(s=>({value:s,label:R(s)})))}
      <label
        >From
        <input
          type="date"
          name="start"
          @change=${s=>this._setFilter("start",s.target.value)}
        />
      </label>
      <label
        >Until
        <input
          type="date"
          name="end"
          @change=${s=>this._setFilter("end",s.target.value)}
        />
      </label>
    </div>`}_table(){return this._rows.length===0?o`<p class="muted">${this._loading?"Loading…":"No incident matches these filters."}</p>`:o`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Seen</th>
            <th>Camera</th>
            <th class="hide-narrow">Watchlist</th>
            <th class="hide-narrow">Category</th>
            <th>Similarity</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          ${this._rows.map(t=>o`<tr data-incident=${t.incident_id} @click=${()=>this._open(t)}>
                <td>${j(this.hass,t.occurred_at)}</td>
                <td>${t.camera}</td>
                <td class="hide-narrow">${t.watchlist}</td>
                <td class="hide-narrow">${t.category}</td>
                <td>${it(t.similarity)}</td>
                <td><span class="chip ${t.review_status}">${R(t.review_status)}</span></td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}_pager(){let t=this._cursors.length;return o`<div class="pager">
      <button
        name="previous"
        ?disabled=${this._loading||t<=1}
        @click=${()=>{let s=this._cursors.slice(0,-1);this._load(s[s.length-1]??null,s)}}
      >
        Previous
      </button>
      <span class="muted">Page ${t}</span>
      <button
        name="next"
        ?disabled=${this._loading||!this._next}
        @click=${()=>{let s=this._next;this._load(s,[...this._cursors,s])}}
      >
        Next
      </button>
    </div>`}_detailCard(t){let s=t.incident;return o`<div class="card detail" @reviewed=${this._reviewed}>
      <smartshop-match-card .hass=${this.hass} .match=${B(s)}></smartshop-match-card>
      <div>
        <h3>Review history</h3>
        ${ce(t).length===0?o`<p class="muted">Not reviewed yet.</p>`:o`<ul class="history">
              ${ce(t).map(r=>o`<li>
                    <strong>${r.decision}</strong> · ${j(this.hass,r.at)}
                    ${r.actor?o`<span class="muted">by ${r.actor}</span>`:c}
                    ${r.reason?o`<div>${r.reason}</div>`:c}
                  </li>`)}
            </ul>`}
        <dl>
          <dt>Incident</dt>
          <dd>${s.incident_id}</dd>
          <dt>Person</dt>
          <dd>${t.person?.name??(s.person_id||"anonymised")}</dd>
        </dl>
        <div class="actions"><button @click=${()=>this._detail=null}>Close</button></div>
      </div>
    </div>`}render(){return o`<div class="card">
        <h2>Incidents</h2>
        ${this._filtersBar()} ${this._error?o`<p class="error">${this._error}</p>`:c}
        ${this._table()} ${this._pager()}
      </div>
      ${this._detail?this._detailCard(this._detail):c}`}};w("smartshop-incidents-view",Et);var he={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},pe=i=>(...e)=>({_$litDirective$:i,values:e}),at=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var{I:Ne}=Jt,ue=i=>i;var me=()=>document.createComment(""),N=(i,e,t)=>{let s=i._$AA.parentNode,r=e===void 0?i._$AB:e._$AA;if(t===void 0){let a=s.insertBefore(me(),r),n=s.insertBefore(me(),r);t=new Ne(a,n,i,i.options)}else{let a=t._$AB.nextSibling,n=t._$AM,h=n!==i;if(h){let d;t._$AQ?.(i),t._$AM=i,t._$AP!==void 0&&(d=i._$AU)!==n._$AU&&t._$AP(d)}if(a!==r||h){let d=t._$AA;for(;d!==a;){let p=ue(d).nextSibling;ue(s).insertBefore(d,r),d=p}}}return t},P=(i,e,t=i)=>(i._$AI(e,t),i),Ue={},fe=(i,e=Ue)=>i._$AH=e,_e=i=>i._$AH,nt=i=>{i._$AR(),i._$AA.remove()};var ge=(i,e,t)=>{let s=new Map;for(let r=e;r<=t;r++)s.set(i[r],r);return s},ve=pe(class extends at{constructor(i){if(super(i),i.type!==he.CHILD)throw Error("repeat() can only be used in text expressions")}dt(i,e,t){let s;t===void 0?t=e:e!==void 0&&(s=e);let r=[],a=[],n=0;for(let h of i)r[n]=s?s(h,n):n,a[n]=t(h,n),n++;return{values:a,keys:r}}render(i,e,t){return this.dt(i,e,t).values}update(i,[e,t,s]){let r=_e(i),{values:a,keys:n}=this.dt(e,t,s);if(!Array.isArray(r))return this.ut=n,a;let h=this.ut??=[],d=[],p,_,l=0,u=r.length-1,m=0,g=a.length-1;for(;l<=u&&m<=g;)if(r[l]===null)l++;else if(r[u]===null)u--;else if(h[l]===n[m])d[m]=P(r[l],a[m]),l++,m++;else if(h[u]===n[g])d[g]=P(r[u],a[g]),u--,g--;else if(h[l]===n[g])d[g]=P(r[l],a[g]),N(i,d[g+1],r[l]),l++,g--;else if(h[u]===n[m])d[m]=P(r[u],a[m]),N(i,r[l],r[u]),u--,m++;else if(p===void 0&&(p=ge(n,m,g),_=ge(h,l,u)),p.has(h[l]))if(p.has(h[u])){let f=_.get(n[m]),b=f!==void 0?r[f]:null;if(b===null){let C=N(i,r[l]);P(C,a[m]),d[m]=C}else d[m]=P(b,a[m]),N(i,r[l],b),r[f]=null;m++}else nt(r[u]),u--;else nt(r[l]),l++;for(;m<=g;){let f=N(i,d[g+1]);P(f,a[m]),d[m++]=f}for(;l<=u;){let f=r[l++];f!==null&&nt(f)}return this.ut=n,fe(i,d),S}});var $e=30,Pt=class extends v{constructor(){super();this._unsubscribe=null;this._subscribedFor=null;this._matches=[],this._connected=!1,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_matches:{state:!0},_connected:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 16px;
      }
      .status {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--disabled-text-color, #bdbdbd);
      }
      .dot.on {
        background: var(--success-color, #43a047);
      }
      smartshop-match-card.new {
        animation: arrive 1.2s ease-out;
      }
      @keyframes arrive {
        from {
          box-shadow: 0 0 0 4px var(--primary-color, #03a9f4);
        }
      }
      @media (max-width: 600px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
    `]}connectedCallback(){super.connectedCallback(),this.hass&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(t){(t.has("hass")||t.has("storeId"))&&this.hass&&this.isConnected&&this._subscribedFor!==(this.storeId??void 0)&&this._start()}_stop(){let t=this._unsubscribe;this._unsubscribe=null,this._subscribedFor=null,this._connected=!1,t?.then(s=>s()).catch(()=>{})}_start(){this._stop();let t=this.storeId??void 0;this._subscribedFor=t,this._error="",this._unsubscribe=ae(this.hass,s=>{(t===void 0||s.config_entry_id===t)&&this._arrived(s)}),this._unsubscribe.then(()=>{this._subscribedFor===t&&(this._connected=!0)},s=>{this._error=y(s)}),this._loadPending(t)}async _loadPending(t){try{let s=await et(this.hass,{store_id:t,review_status:"pending"},null);if(this._subscribedFor!==t)return;let r=new Set(this._matches.map(n=>n.incident_id)),a=s.incidents.filter(n=>!r.has(n.incident_id));this._matches=[...this._matches,...a.map(B)].slice(0,$e)}catch(s){this._error=y(s)}}_arrived(t){let s=this._matches.filter(r=>r.incident_id!==t.incident_id);this._matches=[le(t),...s].slice(0,$e),this.dispatchEvent(new CustomEvent("matched",{bubbles:!0,composed:!0}))}_reviewed(t){let s=B(t.detail);this._matches=this._matches.map(r=>r.incident_id===s.incident_id?{...r,review_status:s.review_status,review_reason:s.review_reason}:r)}render(){return o`<div class="status">
        <span class="dot ${this._connected?"on":""}"></span>
        <span class="muted"
          >${this._connected?"Listening for matches":"Connecting…"}</span
        >
      </div>
      ${this._error?o`<p class="error">${this._error}</p>`:c}
      ${this._matches.length===0?o`<div class="card muted">No match waiting for review. New matches appear here.</div>`:o`<div class="grid" @reviewed=${this._reviewed}>
            ${ve(this._matches,t=>t.incident_id,t=>o`<smartshop-match-card
                  .hass=${this.hass}
                  .match=${t}
                ></smartshop-match-card>`)}
          </div>`}`}};w("smartshop-live-view",Pt);var ot=["var(--primary-color, #03a9f4)","var(--accent-color, #ff9800)","#8e24aa","#43a047","#e53935","#6d4c41","#00897b","#3949ab"],Ct=class extends v{constructor(){super();this._loadedFor=null;this._trends=null,this._by="camera",this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_trends:{state:!0},_by:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 16px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .heatmap {
        display: grid;
        grid-template-columns: 2.5em repeat(24, minmax(0, 1fr));
        gap: 2px;
        font-size: 0.7rem;
      }
      .heatmap .cell {
        aspect-ratio: 1.6;
        border-radius: 2px;
        background: var(--secondary-background-color, #f0f0f0);
      }
      .heatmap .hour,
      .heatmap .weekday {
        color: var(--secondary-text-color, #727272);
        text-align: center;
        overflow: hidden;
      }
      .heatmap .weekday {
        text-align: left;
      }
      svg {
        width: 100%;
        height: auto;
        max-height: 240px;
        display: block;
      }
      svg text {
        fill: var(--secondary-text-color, #727272);
        font-size: 10px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 0.8rem;
        margin-top: 8px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--secondary-background-color, #f0f0f0);
        min-width: 60px;
      }
      .bar .confirmed {
        background: var(--error-color, #db4437);
      }
      .bar .dismissed {
        background: var(--success-color, #43a047);
      }
      .bar .pending {
        background: var(--warning-color, #ffa600);
      }
      .figures {
        display: flex;
        gap: 24px;
        flex-wrap: wrap;
      }
      .figure strong {
        display: block;
        font-size: 1.6rem;
        font-weight: 500;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
        flex-wrap: wrap;
      }
      @media (max-width: 600px) {
        .heatmap .hour:not(.every6) {
          visibility: hidden;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load(s))}}async _load(t){this._error="";try{let s=await st(this.hass,{store_id:t});this._loadedFor===t&&(this._trends=s)}catch(s){this._error=y(s)}}_heatmap(t){let s=new Map(t.heatmap.map(n=>[`${n.weekday}:${n.hour}`,n.count])),r=Math.max(1,...t.heatmap.map(n=>n.count)),a=Array.from({length:24},(n,h)=>h);return o`<div class="card wide">
      <h3>When: weekday × hour (shop time)</h3>
      <div class="heatmap" role="grid" aria-label="Incidents by weekday and hour">
        <span></span>
        ${a.map(n=>o`<span class="hour ${n%6===0?"every6":""}">${n}</span>`)}
        ${de.map((n,h)=>o`<span class="weekday">${n}</span>
            ${a.map(d=>{let p=s.get(`${h+1}:${d}`)??0,_=Math.round(100*p/r),l=p?`background: color-mix(in srgb, var(--primary-color, #03a9f4) ${Math.max(_,12)}%, transparent)`:"";return o`<span
                class="cell"
                role="gridcell"
                data-count=${p}
                title="${n} ${d}:00 — ${p} incident${p===1?"":"s"}"
                style=${l}
              ></span>`})}`)}
      </div>
    </div>`}_weekly(t){let s=t.weekly[this._by]??[],r=[...new Set(s.map(f=>f.week))].sort(),a=[...new Set(s.map(f=>f.key))],n=new Map(s.map(f=>[f.key,f.label])),h=r.map(f=>s.filter(b=>b.week===f).reduce((b,C)=>b+C.count,0)),d=Math.max(1,...h),p=800,_=200,l=20,u=r.length?p/r.length:p,m=Math.max(4,Math.min(48,u*.7)),g=r.flatMap((f,b)=>{let C=_-l,be=b*u+(u-m)/2,xe=a.map((Tt,Ae)=>{let dt=s.find(Ht=>Ht.week===f&&Ht.key===Tt)?.count??0,Mt=(_-l-10)*dt/d;return C-=Mt,dt?vt`<rect x=${be} y=${C} width=${m} height=${Mt}
              fill=${ot[Ae%ot.length]}><title>${f} · ${n.get(Tt)}: ${dt}</title></rect>`:c}),we=r.length<=12||b%Math.ceil(r.length/12)===0;return[...xe,we?vt`<text x=${b*u+u/2} y=${_-6} text-anchor="middle">${f.slice(5)}</text>`:c]});return o`<div class="card wide">
      <div class="head">
        <h3>Week by week</h3>
        <label
          >By
          <select
            name="weekly-by"
            @change=${f=>{this._by=f.target.value}}
          >
            ${["store","camera","category"].map(f=>o`<option value=${f} ?selected=${f===this._by}>${f}</option>`)}
          </select>
        </label>
      </div>
      ${r.length===0?o`<p class="muted">No incidents yet.</p>`:o`<svg viewBox="0 0 ${p} ${_}" role="img" aria-label="Incidents per week">
              <line
                x1="0"
                x2=${p}
                y1=${_-l}
                y2=${_-l}
                stroke="var(--divider-color, #e0e0e0)"
              ></line>
              ${g}
            </svg>
            <div class="legend">
              ${a.map((f,b)=>o`<span
                    ><span class="swatch" style="background: ${ot[b%ot.length]}"></span
                    >${n.get(f)}</span
                  >`)}
            </div>`}
    </div>`}_outcomes(t,s){return o`<div class="card">
      <h3>${t}</h3>
      ${s.length===0?o`<p class="muted">No reviews yet.</p>`:o`<table>
            <thead>
              <tr>
                <th></th>
                <th>Confirmed</th>
                <th>Not them</th>
                <th>Waiting</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${s.map(r=>{let a=Math.max(1,r.confirmed+r.dismissed+r.pending);return o`<tr>
                  <td>${r.label}</td>
                  <td>${r.confirmed}</td>
                  <td>${r.dismissed}</td>
                  <td>${r.pending}</td>
                  <td>
                    <div class="bar">
                      <span class="confirmed" style="width: ${100*r.confirmed/a}%"></span>
                      <span class="dismissed" style="width: ${100*r.dismissed/a}%"></span>
                      <span class="pending" style="width: ${100*r.pending/a}%"></span>
                    </div>
                  </td>
                </tr>`})}
            </tbody>
          </table>`}
    </div>`}_repeatVisitors(t){return o`<div class="card">
      <h3>Repeat visitors</h3>
      ${t.repeat_visitors.length===0?o`<p class="muted">Nobody seen on more than one day or camera.</p>`:o`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Visits</th>
                  <th>Days</th>
                  <th>Cameras</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${t.repeat_visitors.map(s=>o`<tr>
                      <td title=${s.person_id}>${s.person_id.slice(0,8)}</td>
                      <td>${s.visits}</td>
                      <td>${s.days}</td>
                      <td>${s.cameras}</td>
                      <td>${z(this.hass,s.last_seen)}</td>
                    </tr>`)}
              </tbody>
            </table>
          </div>`}
    </div>`}_reviewTimes(t){let s=t.review_times;return o`<div class="card">
      <h3>Time to review</h3>
      <div class="figures">
        <div class="figure"><strong>${bt(s.median_seconds)}</strong>median</div>
        <div class="figure"><strong>${bt(s.p90_seconds)}</strong>90% within</div>
        <div class="figure"><strong>${s.count}</strong>reviewed</div>
      </div>
    </div>`}render(){if(this._error)return o`<p class="error">${this._error}</p>`;let t=this._trends;return t?o`<div class="grid">
      ${this._heatmap(t)} ${this._weekly(t)} ${this._repeatVisitors(t)}
      ${this._reviewTimes(t)}
      ${this._outcomes("Confirmed vs not them, per watchlist",t.outcomes.watchlist??[])}
      ${this._outcomes("Confirmed vs not them, per camera",t.outcomes.camera??[])}
    </div>`:o`<p class="muted">Loading…</p>`}};w("smartshop-trends-view",Ct);var kt=class extends v{constructor(){super();this._loadedFor=null;this.stores=[],this.canEdit=!1,this._people=null,this._editing=null,this._draft={},this._busy=!1,this._error="",this._receipt=null}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},canEdit:{attribute:!1},_people:{state:!0},_editing:{state:!0},_draft:{state:!0},_busy:{state:!0},_error:{state:!0},_receipt:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: 16px;
      }
      .person {
        display: grid;
        grid-template-columns: 96px minmax(0, 1fr);
        gap: 12px;
        align-items: start;
      }
      .person figure img,
      .person figure .nophoto {
        width: 96px;
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .flags {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-top: 4px;
      }
      .chip.due {
        background: var(--warning-color, #ffa600);
        color: #000;
      }
      .form {
        grid-column: 1 / -1;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load())}}async _load(){let t=this.storeId??void 0;try{let s=await se(this.hass,t);this._loadedFor===t&&(this._people=s)}catch(s){this._error=y(s)}}_start(t,s){this._editing={personId:t.person_id,mode:s},this._error="",this._draft=s==="edit"?{category:t.category,reason:t.reason}:s==="extend"?{expires:xt(t.expires)}:{}}async _save(t){this._busy=!0,this._error="";try{if(this._editing?.mode==="remove"){let s=await re(this.hass,t.person_id);this._receipt={name:t.name,receipt:s},this._people=(this._people??[]).filter(r=>r.person_id!==t.person_id)}else await ie(this.hass,t.person_id,this._draft),await this._load();this._editing=null}catch(s){this._error=y(s)}finally{this._busy=!1}}_form(t){let s=this._editing?.mode,r=o`<div class="actions">
      <button
        class=${s==="remove"?"danger":"primary"}
        name="save"
        ?disabled=${this._busy}
        @click=${()=>this._save(t)}
      >
        ${s==="remove"?"Remove and erase":"Save"}
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._editing=null}>Cancel</button>
    </div>`;return s==="remove"?o`<div class="form">
        <p>
          Remove ${t.name} from the watchlist? Their photos, incidents and snapshots are
          erased; you get a receipt.
        </p>
        ${r}
      </div>`:s==="extend"?o`<div class="form">
        <label
          >Keep until
          <input
            type="date"
            name="expires"
            .value=${this._draft.expires??xt(t.expires)}
            @change=${a=>{let n=a.target.value;n&&(this._draft={expires:n})}}
          />
        </label>
        ${r}
      </div>`:o`<div class="form">
      <label
        >Category
        <select
          name="category"
          @change=${a=>{this._draft={...this._draft,category:a.target.value}}}
        >
          ${St.map(a=>o`<option value=${a} ?selected=${a===this._draft.category}>
                ${a}
              </option>`)}
        </select>
      </label>
      <label
        >Reason
        <textarea
          name="reason"
          .value=${this._draft.reason??""}
          @input=${a=>{this._draft={...this._draft,reason:a.target.value}}}
        ></textarea>
      </label>
      ${r}
    </div>`}_person(t){let s=this.stores.find(a=>a.store_id===t.store_id),r=this._editing?.personId===t.person_id;return o`<div class="card person" data-person=${t.person_id}>
      ${rt(t.reference_url??null,"Reference")}
      <div>
        <div class="name">${t.name}</div>
        <div class="muted">${[t.watchlist,s?.name].filter(Boolean).join(" · ")}</div>
        <div class="flags">
          <span class="chip">${t.category}</span>
          ${t.review_due?o`<span class="chip due">Review due</span>`:c}
          ${t.expires_soon?o`<span class="chip due">Expires soon</span>`:c}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${t.reason||"—"}</dd>
          <dt>Reference</dt>
          <dd>${t.incident_reference||"—"}</dd>
          <dt>Expires</dt>
          <dd>${z(this.hass,t.expires)}</dd>
          <dt>Review by</dt>
          <dd>${z(this.hass,t.review_date)}</dd>
        </dl>
        ${this.canEdit&&!r?o`<div class="actions">
              <button name="edit" @click=${()=>this._start(t,"edit")}>Edit</button>
              <button name="extend" @click=${()=>this._start(t,"extend")}>Extend</button>
              <button name="remove" class="danger" @click=${()=>this._start(t,"remove")}>
                Remove
              </button>
            </div>`:c}
      </div>
      ${r?this._form(t):c}
    </div>`}render(){return o`${this._receipt?o`<div class="card receipt">
            <h3>Erasure receipt: ${this._receipt.name}</h3>
            <dl>
              ${Object.entries(this._receipt.receipt).map(([t,s])=>o`<dt>${t.replaceAll("_"," ")}</dt>
                    <dd>${Array.isArray(s)?`${s.length}: ${s.join(", ")}`:String(s)}</dd>`)}
            </dl>
            <div class="actions"><button @click=${()=>this._receipt=null}>Done</button></div>
          </div>`:c}
      ${this._error?o`<p class="error">${this._error}</p>`:c}
      ${this._people===null?o`<p class="muted">Loading…</p>`:this._people.length===0?o`<div class="card muted">Nobody is on a watchlist here.</div>`:o`<div class="grid">${this._people.map(t=>this._person(t))}</div>`}`}};w("smartshop-watchlist-view",kt);var ye=[{path:"live",label:"Live"},{path:"incidents",label:"Incidents"},{path:"trends",label:"Trends"},{path:"watchlist",label:"Watchlist"}];function De(i){let e=(i?.path??"").split("/").filter(Boolean)[0];return ye.find(t=>t.path===e)?.path??"live"}var It=class extends v{constructor(){super();this._storesLoaded=!1;this.narrow=!1,this._view="live",this._stores=[],this._canEdit=!1,this._storeId=void 0,this._error=""}static{this.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_view:{state:!0},_stores:{state:!0},_canEdit:{state:!0},_storeId:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      :host {
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .top {
        position: sticky;
        top: 0;
        z-index: 2;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        border-bottom: var(--app-header-border-bottom, none);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        height: var(--header-height, 56px);
        padding: 0 12px;
      }
      header h1 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 0;
        flex: 1;
      }
      .menu {
        background: none;
        border: none;
        color: inherit;
        font-size: 1.5rem;
        padding: 4px 8px;
        min-height: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        padding: 0 12px;
        overflow-x: auto;
      }
      nav a {
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        opacity: 0.75;
        text-decoration: none;
        padding: 10px 12px;
        border-bottom: 2px solid transparent;
        white-space: nowrap;
      }
      nav a[aria-current="page"] {
        opacity: 1;
        border-bottom-color: currentColor;
      }
      main {
        padding: 16px;
        max-width: 1400px;
        margin: 0 auto;
      }
      .stores {
        display: flex;
        gap: 8px;
        overflow-x: auto;
        margin-bottom: 16px;
        padding-bottom: 4px;
      }
      .store {
        text-align: left;
        flex: 0 0 auto;
        min-width: 150px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        background: var(--card-background-color, #fff);
      }
      .store[aria-pressed="true"] {
        border-color: var(--primary-color, #03a9f4);
        box-shadow: inset 0 0 0 1px var(--primary-color, #03a9f4);
      }
      .store .totals {
        font-size: 0.8rem;
        color: var(--secondary-text-color, #727272);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
        .store {
          min-width: 120px;
        }
      }
    `]}willUpdate(t){t.has("route")&&(this._view=De(this.route))}updated(t){t.has("hass")&&this.hass&&!this._storesLoaded&&(this._storesLoaded=!0,this._loadStores())}async _loadStores(){try{let t=await Xt(this.hass);this._stores=t.stores,this._canEdit=t.can_edit_watchlists}catch(t){this._error=y(t)}}_navigate(t,s){t.preventDefault(),this._view=s;let r=this.route?.prefix??"/smartshop";history.pushState(null,"",`${r}/${s}`),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}}))}_toggleMenu(){this.dispatchEvent(new CustomEvent("hass-toggle-menu",{bubbles:!0,composed:!0}))}_selectStore(t){this._storeId=t,this._loadStores()}_storeBar(){if(this._stores.length===0)return c;let t=this._stores.reduce((r,a)=>({total:r.total+a.totals.total,pending:r.pending+a.totals.pending}),{total:0,pending:0}),s=(r,a,n,h)=>o`<button
      class="store"
      data-store=${r??""}
      aria-pressed=${this._storeId===r?"true":"false"}
      @click=${()=>this._selectStore(r)}
    >
      <span>${a}</span>
      <span class="totals">${n} incidents · ${h} waiting</span>
    </button>`;return o`<div class="stores" role="group" aria-label="Store">
      ${this._stores.length>1?s(void 0,"All stores",t.total,t.pending):c}
      ${this._stores.map(r=>s(r.store_id,r.name,r.totals.total,r.totals.pending))}
    </div>`}_content(){let t=this._storeId;switch(this._view){case"incidents":return o`<smartshop-incidents-view
          .hass=${this.hass}
          .storeId=${t}
          .stores=${this._stores}
        ></smartshop-incidents-view>`;case"trends":return o`<smartshop-trends-view .hass=${this.hass} .storeId=${t}></smartshop-trends-view>`;case"watchlist":return o`<smartshop-watchlist-view
          .hass=${this.hass}
          .storeId=${t}
          .stores=${this._stores}
          .canEdit=${this._canEdit}
        ></smartshop-watchlist-view>`;default:return o`<smartshop-live-view .hass=${this.hass} .storeId=${t}></smartshop-live-view>`}}render(){let t=this.route?.prefix??"/smartshop";return o`<div class="top">
        <header>
        ${this.narrow?o`<button class="menu" aria-label="Menu" @click=${this._toggleMenu}>☰</button>`:c}
        <h1>SmartShop</h1>
      </header>
      <nav>
        ${ye.map(s=>o`<a
              href="${t}/${s.path}"
              aria-current=${s.path===this._view?"page":"false"}
              @click=${r=>this._navigate(r,s.path)}
              >${s.label}</a
            >`)}
        </nav>
      </div>
      <main @reviewed=${this._loadStores} @matched=${this._loadStores}>
        ${this._error?o`<p class="error">${this._error}</p>`:c} ${this._storeBar()}
        ${this.hass?this._content():c}
      </main>`}};w("smartshop-panel",It);export{It as SmartShopPanel};
